// The placement quiz: one question at a time; right and wrong are marked with a word and an icon, not colour alone.
'use strict';
const stage = document.getElementById('stage'), statusLine = document.getElementById('status');
let me = null, placementId = null;

function say(message) { statusLine.textContent = message || ''; }
function nameOf(p) { return p.learner.display_name || 'bạn'; }

function showStart() {
  const again = me && me.active_placement;
  stage.replaceChildren(
    T.el('p', {id: 'hello', text: me ? `Chào ${nameOf(me)}!` : ''}),
    T.el('button', {type: 'button', id: 'start', onclick: again ? () => resume(me.active_placement) : start},
      again ? 'Làm tiếp bài đang dở' : 'Bắt đầu bài xếp lớp'),
  );
  if (again) stage.append(T.el('button', {type: 'button', class: 'secondary', onclick: start}, 'Làm bài mới từ đầu'));
}

function showItem(step) {
  placementId = step.placement_id;
  const item = step.item;
  const set = T.el('fieldset', {}, T.el('legend', {id: 'stem', text: `Câu ${step.answered + 1}. ${item.stem}`}));
  item.options.forEach((text, i) => set.append(
    T.el('button', {type: 'button', class: 'option', 'data-choice': String(i), onclick: () => answer(item, i, set)},
      T.el('span', {class: 'mark', 'aria-hidden': 'true'}), T.el('span', {class: 'option-text', text}))));
  stage.replaceChildren(set);
  set.querySelector('button').focus();
}

function showResult(result) {
  const rows = result.domains.map(d => T.el('tr', {},
    T.el('td', {text: `${d.domain}. ${d.name}`}), T.el('td', {text: d.level_label})));
  stage.replaceChildren(
    T.el('h2', {text: 'Kết quả'}),
    T.el('p', {id: 'result-level', text: `Trình độ chung của bạn: ${result.level_label} (sau ${result.n_items} câu).`}),
    T.el('table', {}, T.el('caption', {class: 'hint', text: 'Theo từng lĩnh vực của khung năng lực số'}),
      T.el('thead', {}, T.el('tr', {}, T.el('th', {text: 'Lĩnh vực'}), T.el('th', {text: 'Trình độ'}))),
      T.el('tbody', {}, ...rows)),
    T.el('a', {class: 'button', href: '/progress'}, 'Xem bài nên học tiếp'),
  );
}

// Mark the right option and the learner's wrong choice in words and with an icon (✓ / ✗), besides the colour.
function mark(set, right, chosen) {
  set.querySelectorAll('button.option').forEach((b, i) => {
    const label = b.querySelector('.mark');
    if (i === right) { b.classList.add('right'); label.textContent = '✓ Đáp án đúng: '; }
    else if (i === chosen) { b.classList.add('wrong'); label.textContent = '✗ Bạn chọn, chưa đúng: '; }
    label.removeAttribute('aria-hidden');
  });
}

function verdict(correct) {
  return T.el('p', {class: correct ? 'verdict ok' : 'verdict bad'},
    T.el('span', {'aria-hidden': 'true', text: correct ? '✓ ' : '✗ '}), correct ? 'Đúng rồi!' : 'Chưa đúng.');
}

async function answer(item, choice, set) {
  set.querySelectorAll('button').forEach(b => { b.disabled = true; });
  try {
    const step = await T.api(`/api/placements/${placementId}/answers`, {method: 'POST', body: {item_id: item.id, choice}});
    const last = step.last;
    mark(set, last.answer, choice);
    const next = T.el('button', {type: 'button', id: 'next', onclick: () => step.finished ? showResult(step.result) : showItem(step)},
      step.finished ? 'Xem kết quả' : 'Câu tiếp theo');
    stage.append(verdict(last.correct), T.el('p', {text: last.explanation}), next);
    next.focus();
  } catch (e) { say(e.message); set.querySelectorAll('button').forEach(b => { b.disabled = false; }); }
}

async function start() {
  say('');
  try { showItem(await T.api(`/api/learners/${me.learner.id}/placements`, {method: 'POST', body: {}})); }
  catch (e) { say(e.message); }
}

async function resume(id) {
  try {
    const step = await T.api(`/api/placements/${id}`);
    if (step.finished) showResult(step.result); else showItem(step);
  } catch (e) { say(e.message); }
}

T.learnerPage({area: stage, status: statusLine, needsCode: 'Bài xếp lớp cần mã riêng của bạn, để lưu kết quả.',
  show: learner => { me = learner; showStart(); }});
