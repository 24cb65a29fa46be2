// Shared by every page: font size, the folding menu, the personal code (kept per tab on a shared phone, otherwise
// for a limited number of days), JSON calls, SSE over fetch, and read-aloud.
// Server text is only ever put into the page with textContent, never parsed as HTML.
'use strict';
const T = (() => {
  const TOKEN = 'tutor.token', SIZE = 'tutor.fs', DAY_MS = 86400000;

  function applySize(px) {
    document.documentElement.style.setProperty('--fs', px + 'px');
    document.querySelectorAll('[data-fs]').forEach(b => b.setAttribute('aria-pressed', String(b.dataset.fs === String(px))));
  }

  function rememberDays() {
    const meta = document.querySelector('meta[name="tutor-remember-days"]');
    return Number(meta && meta.content) || 30;
  }

  // The code: sessionStorage on a shared phone (gone when the tab closes), else localStorage with an expiry.
  function stored() {
    const here = sessionStorage.getItem(TOKEN);
    if (here) return {value: here, shared: true, expires: null};
    const raw = localStorage.getItem(TOKEN);
    if (!raw) return null;
    let saved;
    try { saved = JSON.parse(raw); } catch (e) { saved = null; }
    if (!saved && raw.startsWith('tutor_')) {
      // Saved by an older version, as the bare code: keep it, from now on with an expiry.
      saved = {v: raw, exp: Date.now() + rememberDays() * DAY_MS};
      localStorage.setItem(TOKEN, JSON.stringify(saved));
    }
    if (!saved || typeof saved.v !== 'string' || typeof saved.exp !== 'number' || saved.exp < Date.now()) {
      localStorage.removeItem(TOKEN);  // expired, or not a code at all
      return null;
    }
    return {value: saved.v, shared: false, expires: new Date(saved.exp)};
  }
  function token() { const s = stored(); return s ? s.value : ''; }
  function setToken(value, shared = false) {
    sessionStorage.removeItem(TOKEN); localStorage.removeItem(TOKEN);
    value = (value || '').trim();
    if (!value) return;
    if (shared) sessionStorage.setItem(TOKEN, value);
    else localStorage.setItem(TOKEN, JSON.stringify({v: value, exp: Date.now() + rememberDays() * DAY_MS}));
  }

  function headers(json, auth = true) {
    const h = {};
    if (json) h['Content-Type'] = 'application/json';
    if (auth && token()) h['Authorization'] = 'Bearer ' + token();
    return h;
  }

  const OFFLINE = 'Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.';

  async function failure(res) {
    let message = 'Lỗi ' + res.status;
    try { message = (await res.json()).message || message; } catch (e) { /* not JSON */ }
    return Object.assign(new Error(message), {status: res.status, retryAfter: Number(res.headers.get('Retry-After')) || null});
  }

  async function api(path, {method = 'GET', body, auth = true} = {}) {
    let res;
    try {
      res = await fetch(path, {method, headers: headers(body !== undefined, auth), body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      throw Object.assign(new Error(OFFLINE), {status: 0});
    }
    if (!res.ok) throw await failure(res);
    const text = await res.text();
    try { return text ? JSON.parse(text) : null; } catch (e) { return text; }
  }

  // POST a JSON body and call on[event](payload) for each server-sent event as it arrives.
  async function stream(path, body, on, {auth = true} = {}) {
    let res;
    try {
      res = await fetch(path, {method: 'POST', headers: headers(true, auth), body: JSON.stringify(body)});
    } catch (e) {
      throw Object.assign(new Error(OFFLINE), {status: 0});
    }
    if (!res.ok) throw await failure(res);
    const reader = res.body.getReader(), dec = new TextDecoder();
    let buf = '';
    for (;;) {
      let chunk;
      try { chunk = await reader.read(); } catch (e) { throw Object.assign(new Error(OFFLINE), {status: 0}); }
      if (chunk.done) break;
      buf += dec.decode(chunk.value, {stream: true});
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
        const ev = (block.match(/^event: (.*)$/m) || [])[1], data = (block.match(/^data: (.*)$/m) || [])[1];
        if (ev && data !== undefined && on[ev]) on[ev](JSON.parse(data));
      }
    }
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    node.append(...children.filter(c => c !== null && c !== undefined));
    return node;
  }

  function describe(s) {
    if (!s) return 'Chưa có mã trên máy này.';
    if (s.shared) return 'Đã lưu mã cho lần dùng này. Đóng trang là máy quên mã.';
    return `Đã lưu mã trên máy này đến ngày ${s.expires.toLocaleDateString('vi-VN')}.`;
  }

  // The code panel: <details class="token"> with #token-input, #token-shared, #token-save, #token-clear, #token-state.
  function initTokenPanel(onChange) {
    const input = document.getElementById('token-input');
    if (!input) return;
    const state = document.getElementById('token-state'), shared = document.getElementById('token-shared');
    const show = () => {
      const s = stored();
      state.textContent = describe(s);
      if (shared) shared.checked = Boolean(s && s.shared);
    };
    document.getElementById('token-save').addEventListener('click', () => {
      setToken(input.value, Boolean(shared && shared.checked)); input.value = ''; show(); revealStaff();
      if (token()) input.closest('details').open = false;  // saved: fold the panel away
      if (onChange) onChange();
    });
    document.getElementById('token-clear').addEventListener('click', () => {
      setToken(''); show(); revealStaff(); if (onChange) onChange();
    });
    show();
  }

  // A page about the learner's own record (placement, final test, progress): with a saved code it fetches /api/me
  // and hands it to `show`; without one it opens the code panel and says why (`needsCode`) in `status`. Saving or
  // clearing the code starts it again.
  function learnerPage({area, status, needsCode, show}) {
    const say = message => { status.textContent = message || ''; };
    async function load() {
      area.replaceChildren(); say('');
      const box = document.getElementById('token-box');
      if (!token()) { box.open = true; say(needsCode); return; }
      try { const me = await api('/api/me'); box.open = false; show(me); }
      catch (e) { say(e.message); }
    }
    initTokenPanel(load);
    load();
  }

  // Trainers and operators see the link to their pages; learners never do.
  async function revealStaff() {
    const link = document.querySelector('[data-role="staff"]');
    if (!link) return;
    link.hidden = true;
    if (!token()) return;
    try {
      const who = await api('/api/whoami');
      link.hidden = !(who && (who.role === 'trainer' || who.role === 'operator'));
    } catch (e) { /* a revoked or unknown code: nothing to reveal */ }
  }

  function initMenu() {
    const toggle = document.querySelector('.menu-toggle'), menu = document.getElementById('site-menu');
    if (!toggle || !menu) return;
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      menu.classList.toggle('open', open);
    });
  }

  // -- read-aloud: the phone's own Vietnamese voice when it has one, else the tutor's offline voice (WAV) -------
  let playing = null;  // {button, stop}

  function viVoice() {
    if (!('speechSynthesis' in window)) return null;
    return speechSynthesis.getVoices().find(v => /^vi\b/i.test(v.lang.replace('_', '-'))) || null;
  }

  function stopPlaying() {
    if (!playing) return;
    const {button, stop} = playing;
    playing = null;
    stop();
    button.setAttribute('aria-pressed', 'false');
    button.lastChild.textContent = 'Nghe';
  }

  // `source`: {url} of a cached lesson section, or {text} of an answer. Clicking again stops.
  async function listen(button, source) {
    if (playing && playing.button === button) { stopPlaying(); return; }
    stopPlaying();
    button.setAttribute('aria-pressed', 'true');
    button.lastChild.textContent = 'Dừng';
    const done = () => { if (playing && playing.button === button) stopPlaying(); };
    try {
      const voice = viVoice();
      if (voice) {
        const text = source.text || source.textOf();
        const {reading} = await api('/api/speech/reading', {method: 'POST', body: {text}, auth: false});
        const say = new SpeechSynthesisUtterance(reading);
        say.lang = 'vi-VN'; say.voice = voice; say.rate = 0.9; say.onend = done; say.onerror = done;
        playing = {button, stop: () => speechSynthesis.cancel(), mode: 'voice'};
        speechSynthesis.speak(say);
        return;
      }
      const res = source.url
        ? await fetch(source.url)
        : await fetch('/api/speech', {method: 'POST', headers: headers(true, false), body: JSON.stringify({text: source.text})});
      if (!res.ok) throw await failure(res);
      const url = URL.createObjectURL(await res.blob());
      const audio = new Audio(url);
      audio.onended = done;
      playing = {button, stop: () => { audio.pause(); URL.revokeObjectURL(url); }, mode: 'audio', audio};
      await audio.play();
    } catch (e) {
      done();
      const note = button.parentElement.querySelector('.listen-error') ||
        button.insertAdjacentElement('afterend', el('span', {class: 'listen-error hint', role: 'status'}));
      note.textContent = e.status === 0 || e.message === OFFLINE ? OFFLINE : (e.message || 'Chưa đọc được đoạn này.');
    }
  }

  function listenButton(source) {
    const button = el('button', {type: 'button', class: 'listen secondary', 'aria-pressed': 'false'},
      el('span', {'aria-hidden': 'true', text: '🔊 '}), 'Nghe');
    button.addEventListener('click', () => listen(button, source));
    return button;
  }

  document.addEventListener('DOMContentLoaded', () => {
    applySize(localStorage.getItem(SIZE) || 18);
    document.querySelectorAll('[data-fs]').forEach(b => b.addEventListener('click', () => {
      localStorage.setItem(SIZE, b.dataset.fs); applySize(b.dataset.fs);
    }));
    initMenu();
    revealStaff();
  });
  // Apply the saved size before first paint, so the page does not jump.
  document.documentElement.style.setProperty('--fs', (localStorage.getItem(SIZE) || 18) + 'px');

  return {token, setToken, stored, api, stream, el, initTokenPanel, learnerPage, listen, listenButton, stopPlaying,
          playing: () => playing};
})();
