// The chat page: the answer bubble says at once that the tutor is answering, shows errors with a retry button, and
// a code that no longer works falls back to anonymous asking instead of blocking the learner.
'use strict';
const form = document.getElementById('ask'), thread = document.getElementById('thread'),
      scroller = document.getElementById('scroller'), statusLine = document.getElementById('status'),
      send = document.getElementById('send');
const SESSION = 'tutor.session';
// Without a code nothing is saved on the server: the page keeps this conversation's questions and sends the last
// few with each new one, so "thế còn iPhone thì sao?" is understood. Cleared with the conversation.
const PREVIOUS = 3;
let asked = [];
function forget() { sessionStorage.removeItem(SESSION); thread.replaceChildren(); asked = []; }

function syncDefaults() {
  // Without a code there is no placement or profile to follow: default to Cơ bản / người dân.
  // With one, default to the learner's own level and group.
  const anon = !T.token();
  for (const sel of [form.level, form.group]) {
    sel.options[0].hidden = anon; sel.options[0].disabled = anon;
    sel.selectedIndex = anon ? 1 : 0;
  }
}
T.initTokenPanel(() => { forget(); syncDefaults(); });
syncDefaults();

document.getElementById('new-chat').addEventListener('click', () => {
  forget(); statusLine.textContent = ''; form.question.focus();
});

function toBottom() { scroller.scrollTop = scroller.scrollHeight; }

function rateBox(sessionId, messageId) {
  const box = T.el('div', {class: 'rate', role: 'group', 'aria-label': 'Câu trả lời này có hữu ích không?'});
  const comment = T.el('textarea', {rows: '2', maxlength: '1000', id: 'c-' + messageId, placeholder: 'Góp ý thêm (không bắt buộc)'});
  const said = T.el('p', {class: 'hint', role: 'status'});
  async function rate(value, button) {
    try {
      await T.api('/api/feedback', {method: 'POST', body: {session_id: sessionId, message_id: messageId, rating: value, comment: comment.value || null}});
      box.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(b === button)));
      said.textContent = 'Cảm ơn bạn đã góp ý!';
    } catch (e) { said.textContent = e.message; }
  }
  const up = T.el('button', {type: 'button', 'aria-pressed': 'false', onclick: () => rate(1, up)}, '👍 Hữu ích');
  const down = T.el('button', {type: 'button', 'aria-pressed': 'false', onclick: () => rate(-1, down)}, '👎 Chưa đúng');
  box.append(up, down);
  return T.el('div', {}, box, T.el('label', {for: 'c-' + messageId, class: 'hint', text: 'Góp ý'}), comment, said);
}

// One answer bubble: pending ("đang trả lời…"), streaming, done (sources, read-aloud, rating) or failed (retry).
function bubble() {
  const view = {
    notice: T.el('p', {class: 'notice'}),
    text: T.el('div', {class: 'text'}),
    sources: T.el('div', {class: 'sources'}),
    tools: T.el('div', {class: 'tools'}),
  };
  view.turn = T.el('article', {class: 'turn assistant', 'aria-label': 'Câu trả lời'}, view.notice, view.text, view.sources, view.tools);
  view.pending = () => {
    view.turn.className = 'turn assistant pending';
    view.turn.setAttribute('aria-busy', 'true');
    view.notice.textContent = ''; view.sources.replaceChildren(); view.tools.replaceChildren();
    view.text.replaceChildren(T.el('span', {class: 'typing', text: 'Trợ giảng đang trả lời…'}));
  };
  view.piece = (text) => {
    if (view.turn.classList.contains('pending')) { view.turn.className = 'turn assistant'; view.text.textContent = ''; }
    view.text.textContent += text;
  };
  view.fail = (message, retry) => {
    view.turn.className = 'turn assistant failed';
    view.turn.removeAttribute('aria-busy');
    view.text.replaceChildren(T.el('p', {class: 'error', role: 'alert', text: message}));
    view.tools.replaceChildren(T.el('button', {type: 'button', class: 'retry', onclick: retry}, 'Thử lại'));
  };
  return view;
}

function showAnswer(view, a, note) {
  view.turn.className = 'turn assistant';
  view.turn.removeAttribute('aria-busy');
  view.text.textContent = a.answer;
  view.notice.textContent = [note, a.notice].filter(Boolean).join(' ');
  view.sources.replaceChildren();
  if (a.citations.length) view.sources.append(T.el('h2', {text: 'Nguồn bài học'}));
  for (const c of a.citations) {
    view.sources.append(T.el('a', {href: c.url, class: 'citation', text: `[${c.n}] ${c.lesson_title} — ${c.section_title}`}));
  }
  view.tools.replaceChildren(T.listenButton({text: a.answer}));
  if (a.message_id) view.tools.append(rateBox(a.session_id, a.message_id));
}

async function sessionId() {
  let id = sessionStorage.getItem(SESSION);
  if (!id) { id = (await T.api('/api/sessions', {method: 'POST'})).id; sessionStorage.setItem(SESSION, id); }
  return id;
}

const REVOKED = 'Mã của bạn không còn dùng được nên câu hỏi này không được lưu. Bạn vẫn hỏi tiếp được; ' +
  'muốn lưu lại, hãy xin người hướng dẫn mã mới.';

// Ask once into `view`; a code the server no longer accepts is forgotten and the question is asked anonymously.
async function ask(question, view) {
  view.pending();
  toBottom();
  let note = '';
  const handlers = {
    token: p => { view.piece(p.text); toBottom(); },
    answer: a => { showAnswer(view, a, note); toBottom(); },
    error: e => { throw Object.assign(new Error(e.message), {status: 503}); },
  };
  const body = {question, level: form.level.value || null, group: form.group.value || null};
  const anonymous = async () => {
    const previous = asked.slice(-PREVIOUS);
    await T.stream('/api/chat/stream',
      {question, level: body.level || 'co-ban', group: body.group || 'nguoi-dan', previous}, handlers, {auth: false});
    asked = [...asked, question].slice(-PREVIOUS);
  };
  if (!T.token()) return anonymous();
  try {
    try {
      await T.stream(`/api/sessions/${await sessionId()}/messages`, body, handlers);
    } catch (e) {
      if (e.status !== 404) throw e;
      sessionStorage.removeItem(SESSION);  // the conversation is gone (e.g. data deleted): start a new one once
      await T.stream(`/api/sessions/${await sessionId()}/messages`, body, handlers);
    }
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) throw e;
    T.setToken(''); sessionStorage.removeItem(SESSION); syncDefaults();
    document.getElementById('token-state').textContent = 'Chưa có mã trên máy này.';
    note = REVOKED;
    await anonymous();
  }
}

function run(question, view) {
  send.disabled = true;
  return ask(question, view)
    .catch(err => {
      const wait = err.retryAfter ? ` (thử lại sau khoảng ${err.retryAfter} giây)` : '';
      view.fail(err.message + wait, () => run(question, view));
    })
    .finally(() => { send.disabled = false; toBottom(); });
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const question = form.question.value.trim();
  if (!question) { statusLine.textContent = 'Câu hỏi đang trống.'; return; }
  statusLine.textContent = '';
  form.question.value = '';  // the question moves into the conversation at once
  const view = bubble();
  thread.append(T.el('div', {class: 'turn user'}, T.el('div', {class: 'text', text: question})), view.turn);
  run(question, view).finally(() => form.question.focus());
});
form.question.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
});
