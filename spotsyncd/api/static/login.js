// The login page hands over a new session: keep it for this origin only (localStorage is scoped
// by scheme, host and port) and open the dashboard. A cookie would be sent to every port.
"use strict";
(function () {
  const meta = document.querySelector('meta[name="spotsyncd-session"]');
  if (meta && meta.content) {
    localStorage.setItem("spotsyncd.session", meta.content);
    location.replace("/");
  }
})();
