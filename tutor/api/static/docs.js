// Starts Swagger UI on /docs (served from the fastapi-offline package; the CSP allows no inline script).
'use strict';

// Swagger UI draws example and response code in scrollable <pre> blocks that a keyboard cannot reach (axe:
// scrollable-region-focusable), and copy buttons with an icon and no name (button-name). Each one it adds is fixed.
function accessible(root) {
  root.querySelectorAll('pre.microlight:not([tabindex])').forEach((pre) => pre.setAttribute('tabindex', '0'));
  root.querySelectorAll('.copy-to-clipboard > button:not([aria-label])')
    .forEach((button) => button.setAttribute('aria-label', 'Sao chép'));
}

window.addEventListener('DOMContentLoaded', () => {
  const root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: '#swagger-ui',
    // Deep links put an <a> inside each operation's toggle button, which axe flags (nested-interactive).
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
  new MutationObserver(() => accessible(root)).observe(root, { childList: true, subtree: true });
});
