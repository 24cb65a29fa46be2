// The final test: one question at a time, graded once at the end; a pass issues the certificate on the spot.
'use strict';
const stage = document.getElementById('stage'), statusLine = document.getElementById('status');
let me = null, attempt = null, answers = {}, at = 0;

function say(message) { statusLine.textContent = message || ''; }

function showStart() {
  const who = me.learner.display_name || 'bạn';
  stage.replaceChildren(
    T.el('p', {text: `Chào ${who}! Bài gồm các câu trắc nghiệm; bạn có thể quay lại câu trước trước khi nộp.`}),
    T.el('button', {type: 'button', id: 'start', onclick: start}, 'Bắt đầu bài kiểm tra'));
}

function showItem() {
  const item = attempt.items[at], total = attempt.items.length;
  const set = T.el('fieldset', {}, T.el('legend', {id: 'stem', text: `Câu ${at + 1}/${total}. ${item.stem}`}));
  item.options.forEach((text, i) => {
    const id = `opt-${i}`;
    const radio = T.el('input', {type: 'radio', name: 'choice', id, value: String(i)});
    if (answers[item.id] === i) radio.checked = true;
    radio.addEventListener('change', () => { answers[item.id] = i; nextButton.disabled = false; });
    set.append(T.el('div', {class: 'choice'}, radio, T.el('label', {for: id, text})));
  });
  const last = at === total - 1;
  const nextButton = T.el('button', {type: 'button', id: 'next', onclick: () => { if (last) submit(); else { at += 1; showItem(); } }},
    last ? 'Nộp bài' : 'Câu tiếp theo');
  nextButton.disabled = answers[item.id] === undefined;
  const nav = T.el('div', {class: 'row'});
  if (at > 0) nav.append(T.el('button', {type: 'button', class: 'secondary', onclick: () => { at -= 1; showItem(); }}, 'Câu trước'));
  nav.append(nextButton);
  stage.replaceChildren(set, nav);
  set.querySelector('input').focus();
}

async function start() {
  say('');
  try {
    attempt = await T.api(`/api/learners/${me.learner.id}/final-test`, {method: 'POST'});
    answers = {}; at = 0; showItem();
  } catch (e) { say(e.message); }
}

async function submit() {
  say('Đang chấm bài…');
  try {
    const r = await T.api(`/api/learners/${me.learner.id}/final-test/${attempt.attempt_id}/answers`,
      {method: 'POST', body: {answers}});
    say('');
    const pct = Math.round(r.score * 100);
    const head = r.passed
      ? T.el('p', {class: 'verdict ok', id: 'final-result'}, T.el('span', {'aria-hidden': 'true', text: '✓ '}),
          `Đạt: bạn đúng ${r.n_correct}/${r.n_items} câu (${pct}%).`)
      : T.el('p', {class: 'verdict bad', id: 'final-result'}, T.el('span', {'aria-hidden': 'true', text: '✗ '}),
          `Chưa đạt: bạn đúng ${r.n_correct}/${r.n_items} câu (${pct}%). Cần từ 70% và mỗi lĩnh vực từ 50%.`);
    const parts = [T.el('h2', {text: 'Kết quả'}), head];
    if (r.passed) {
      parts.push(T.el('button', {type: 'button', id: 'certificate', onclick: certificate}, 'Nhận chứng nhận'));
    } else {
      parts.push(T.el('a', {class: 'button', href: '/progress'}, 'Xem bài nên ôn lại'),
        T.el('button', {type: 'button', class: 'secondary', onclick: start}, 'Làm lại bài kiểm tra'));
    }
    stage.replaceChildren(...parts);
    stage.querySelector('h2').setAttribute('tabindex', '-1');
    stage.querySelector('h2').focus();
  } catch (e) { say(e.message); }
}

async function certificate() {
  try {
    const doc = await T.api(`/api/learners/${me.learner.id}/certificate`, {method: 'POST'});
    stage.append(T.el('p', {class: 'card', id: 'certificate-issued',
      text: `Đã cấp chứng nhận ${doc.payload.level_label}, ngày ${doc.payload.issued_on} (mã ${doc.payload.id}).`}),
      T.el('a', {class: 'button secondary', href: '/progress'}, 'Về trang tiến độ'));
    document.getElementById('certificate').remove();
  } catch (e) { say(e.message); }
}

T.learnerPage({area: stage, status: statusLine, needsCode: 'Bài kiểm tra cần mã riêng của bạn, để lưu kết quả.',
  show: learner => { me = learner; showStart(); }});
