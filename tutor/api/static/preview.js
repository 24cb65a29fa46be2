// The trainer preview: one question answered at three levels, side by side.
'use strict';
const form = document.getElementById('preview'), levels = document.getElementById('levels'),
      statusLine = document.getElementById('status'), send = document.getElementById('send');
// What the trainer's own documents are called (tutor/corpus/documents.py), from the page: no inline script.
const OWN = levels.dataset.own || 'Tài liệu của tập huấn viên';
T.initTokenPanel();
if (!T.token()) document.getElementById('token-box').open = true;

function column(entry) {
  const a = entry.answer;
  const col = T.el('section', {class: 'level', 'data-level': entry.level, 'aria-label': entry.level_label},
    T.el('h2', {text: entry.level_label}));
  if (a.notice) col.append(T.el('p', {class: 'notice', text: a.notice}));
  // Why the learner got a fixed reply instead of an answer: which check decided, and its score.
  if (a.refusal) col.append(T.el('p', {class: 'notice refusal', text: `Từ chối (${a.refusal.kind === 'manipulation' ? 'thao túng' : 'ngoài phạm vi'}) — ${a.refusal.reason}`}));
  col.append(T.el('div', {class: 'text', text: a.answer}));
  const src = T.el('div', {class: 'sources'});
  const own = (x) => x.trainer_material ? ` (${OWN})` : '';
  for (const c of a.citations) src.append(T.el('a', {href: c.url, text: `[${c.n}] ${c.lesson_title} — ${c.section_title}${own(c)}`}));
  col.append(src);
  // Vetted lessons and the trainer's own documents are listed apart, each passage keeping its overall rank.
  for (const mine of [false, true]) {
    const picked = a.passages.map((p, i) => [p, i]).filter(([p]) => !!p.trainer_material === mine);
    if (mine && !picked.length) continue;
    const passages = T.el('details', {}, T.el('summary', {text: `${picked.length} ${mine ? 'đoạn ' + OWN.toLowerCase() : 'đoạn bài học'} tìm được`}));
    picked.forEach(([p, i]) => passages.append(T.el('div', {class: 'passage'},
      T.el('div', {class: 'score', text: `#${i + 1} · điểm ${p.score.toFixed(3)} · ngữ nghĩa ${p.dense_rank ?? '–'} · từ khóa ${p.lexical_rank ?? '–'}`}),
      T.el('div', {text: `${p.lesson_title} — ${p.section_title}${own(p)}`}),
      T.el('div', {class: 'hint', text: p.text}))));
    col.append(passages);
  }
  col.append(T.el('p', {class: 'hint', text: `mô hình: ${a.model}`}));
  return col;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  send.disabled = true; statusLine.textContent = 'Đang trả lời ở ba trình độ…'; levels.replaceChildren();
  try {
    const out = await T.api('/api/preview', {method: 'POST', body: {question: form.question.value, group: form.group.value}});
    levels.replaceChildren(...out.levels.map(column));
    statusLine.textContent = '';
  } catch (err) { statusLine.textContent = err.message; }
  finally { send.disabled = false; }
});
