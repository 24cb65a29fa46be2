// A lesson page: focus the cited section, and read any section aloud.
'use strict';
// Move keyboard and screen-reader focus to the cited section, not just the scroll position.
const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
if (target) target.focus({preventScroll: false});

document.querySelectorAll('button.listen[data-speech]').forEach(button => {
  const section = button.closest('section');
  button.addEventListener('click', () => T.listen(button, {
    url: button.dataset.speech,
    textOf: () => section.querySelector('.prose').innerText,
  }));
});
