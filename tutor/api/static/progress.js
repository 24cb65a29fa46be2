// The progress page in plain words: the learner's own name, levels per domain, the tests taken, what to study next.
'use strict';
const view = document.getElementById('view'), statusLine = document.getElementById('status');
const LEVEL_SHARE = {'co-ban': 0.25, 'trung-cap': 0.5, 'nang-cao': 0.75, 'chuyen-sau': 1};

function meter(share, label) {
  const bar = T.el('span');
  bar.style.width = Math.round(share * 100) + '%';  // CSSOM, not a style attribute: the CSP allows no inline style
  return T.el('div', {class: 'meter', role: 'img', 'aria-label': label}, bar);
}

function date(iso) { return new Date(iso).toLocaleDateString('vi-VN'); }

function nameForm(p) {
  const input = T.el('input', {id: 'display-name', type: 'text', maxlength: '40', autocomplete: 'nickname',
    value: p.learner.display_name || ''});
  const said = T.el('p', {class: 'hint', role: 'status'});
  const save = T.el('button', {type: 'button', id: 'save-name', onclick: async () => {
    try {
      const fresh = await T.api('/api/me', {method: 'PATCH', body: {display_name: input.value}});
      render(fresh); document.getElementById('who').focus();
    } catch (e) { said.textContent = e.message; }
  }}, 'Lưu tên');
  return T.el('details', {class: 'card', id: 'name-box', ...(p.learner.display_name ? {} : {open: ''})},
    T.el('summary', {text: p.learner.display_name ? 'Đổi tên gọi' : 'Bạn muốn trợ giảng gọi bạn là gì?'}),
    T.el('label', {for: 'display-name', text: 'Tên gọi (ví dụ: Bác Lan, Anh Minh). Đừng ghi số điện thoại hay số căn cước.'}),
    input, save, said);
}

function testsTaken(p) {
  const t = p.tests, items = [];
  if (t.placements) {
    items.push(T.el('li', {text: `Bài xếp lớp: đã làm ${t.placements} lần, gần nhất ngày ${date(t.last_placement_at)}.`}));
  } else {
    items.push(T.el('li', {}, 'Bài xếp lớp: chưa làm. ', T.el('a', {href: '/placement', text: 'Làm bài xếp lớp (10–15 câu)'})));
  }
  if (t.final_tests) {
    const how = t.final_passed ? 'lần gần nhất đạt' : 'lần gần nhất chưa đạt';
    items.push(T.el('li', {text: `Bài kiểm tra cuối khóa: đã làm ${t.final_tests} lần, ${how}.`}));
  } else {
    items.push(T.el('li', {text: 'Bài kiểm tra cuối khóa: chưa làm.'}));
  }
  return T.el('ul', {id: 'tests'}, ...items);
}

function render(p) {
  const who = p.learner.display_name ? `Chào ${p.learner.display_name}!` : 'Chào bạn!';
  const parts = [
    T.el('h2', {id: 'who', tabindex: '-1', text: who}),
    T.el('p', {text: `Bạn học theo nhóm ${p.learner.group_label.toLowerCase()}; trình độ chung: ${p.level_label}.`}),
    nameForm(p),
    T.el('h2', {text: 'Bài kiểm tra đã làm'}), testsTaken(p),
    T.el('h2', {text: 'Trình độ theo lĩnh vực'}),
  ];
  if (!p.levels.length) {
    parts.push(T.el('p', {}, 'Làm bài xếp lớp để biết trình độ của bạn ở từng lĩnh vực. ',
      T.el('a', {href: '/placement', text: 'Làm bài xếp lớp'})));
  } else {
    const rows = p.levels.map(d => T.el('tr', {},
      T.el('td', {text: d.name}), T.el('td', {text: d.level_label}),
      T.el('td', {}, meter(LEVEL_SHARE[d.level] || 0, d.level_label))));
    parts.push(T.el('table', {}, T.el('thead', {}, T.el('tr', {},
      T.el('th', {text: 'Lĩnh vực'}), T.el('th', {text: 'Trình độ'}), T.el('th', {}, T.el('span', {class: 'sr-only', text: 'Biểu đồ'})))),
      T.el('tbody', {}, ...rows)));
  }
  if ((p.level_changes || []).length) {
    parts.push(T.el('h2', {text: 'Trình độ đã thay đổi'}));
    const changes = T.el('ul', {id: 'level-changes'});
    for (const c of p.level_changes) changes.append(T.el('li', {text: (c.at ? date(c.at) + ': ' : '') + c.reason}));
    parts.push(changes);
  }
  parts.push(T.el('h2', {text: 'Bài nên học tiếp'}));
  const recs = T.el('div', {id: 'recommendations'});
  for (const r of p.recommendations) {
    recs.append(T.el('div', {class: 'card'}, T.el('a', {href: r.url, text: r.title}), T.el('p', {class: 'hint', text: r.reason})));
  }
  if (!p.recommendations.length) recs.append(T.el('p', {text: 'Bạn đã hoàn thành mọi bài phù hợp. Tuyệt vời!'}));
  parts.push(recs);
  parts.push(T.el('h2', {text: 'Chứng nhận'}));
  if (p.certificates.length) {
    for (const c of p.certificates) {
      parts.push(T.el('p', {class: 'card', text: `${c.payload.level_label} — cấp ngày ${c.payload.issued_on} (mã ${c.payload.id})`}));
    }
  } else {
    parts.push(T.el('p', {class: 'hint', text: 'Chưa có chứng nhận. Khi bạn thấy sẵn sàng, hãy làm bài kiểm tra cuối khóa.'}));
  }
  parts.push(T.el('a', {class: 'button', id: 'final-link', href: '/final-test'}, 'Làm bài kiểm tra cuối khóa'));
  view.replaceChildren(...parts);
}

T.learnerPage({area: view, status: statusLine, needsCode: 'Xem tiến độ cần mã riêng của bạn.', show: render});
