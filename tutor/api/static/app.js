// Shared by every page: font size, the access token kept in localStorage, JSON calls, and SSE over fetch.
// Server text is only ever put into the page with textContent, never parsed as HTML.
'use strict';
const T = (() => {
  const TOKEN = 'tutor.token', SIZE = 'tutor.fs';

  function applySize(px) {
    document.documentElement.style.setProperty('--fs', px + 'px');
    document.querySelectorAll('[data-fs]').forEach(b => b.setAttribute('aria-pressed', String(b.dataset.fs === String(px))));
  }

  function token() { return localStorage.getItem(TOKEN) || ''; }
  function setToken(value) {
    if (value) localStorage.setItem(TOKEN, value.trim()); else localStorage.removeItem(TOKEN);
  }

  function headers(json) {
    const h = {};
    if (json) h['Content-Type'] = 'application/json';
    if (token()) h['Authorization'] = 'Bearer ' + token();
    return h;
  }

  async function api(path, {method = 'GET', body} = {}) {
    let res;
    try {
      res = await fetch(path, {method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      throw Object.assign(new Error('Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.'), {status: 0});
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!res.ok) {
      const message = (data && data.message) || ('Lỗi ' + res.status);
      throw Object.assign(new Error(message), {status: res.status});
    }
    return data;
  }

  // POST a JSON body and call on[event](payload) for each server-sent event as it arrives.
  async function stream(path, body, on) {
    let res;
    try {
      res = await fetch(path, {method: 'POST', headers: headers(true), body: JSON.stringify(body)});
    } catch (e) {
      throw Object.assign(new Error('Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.'), {status: 0});
    }
    if (!res.ok) {
      let message = 'Lỗi ' + res.status;
      try { message = (await res.json()).message || message; } catch (e) { /* not JSON */ }
      throw Object.assign(new Error(message), {status: res.status});
    }
    const reader = res.body.getReader(), dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buf += dec.decode(value, {stream: true});
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

  // The token panel: <details class="token"> with #token-input, #token-save, #token-clear, #token-state.
  function initTokenPanel(onChange) {
    const input = document.getElementById('token-input');
    if (!input) return;
    const state = document.getElementById('token-state');
    const show = () => { state.textContent = token() ? 'Đã lưu mã trên máy này.' : 'Chưa có mã.'; };
    document.getElementById('token-save').addEventListener('click', () => {
      setToken(input.value); input.value = ''; show();
      if (token()) input.closest('details').open = false;  // saved: fold the panel away
      if (onChange) onChange();
    });
    document.getElementById('token-clear').addEventListener('click', () => {
      setToken(''); show(); if (onChange) onChange();
    });
    show();
  }

  document.addEventListener('DOMContentLoaded', () => {
    applySize(localStorage.getItem(SIZE) || 18);
    document.querySelectorAll('[data-fs]').forEach(b => b.addEventListener('click', () => {
      localStorage.setItem(SIZE, b.dataset.fs); applySize(b.dataset.fs);
    }));
  });
  // Apply the saved size before first paint, so the page does not jump.
  document.documentElement.style.setProperty('--fs', (localStorage.getItem(SIZE) || 18) + 'px');

  return {token, setToken, api, stream, el, initTokenPanel};
})();
