/* obereg cookie banner. Served by obereg itself: no CDN, no other scripts, no fonts.
   Embed:  <script src="https://OBEREG/c/TENANT/banner.js" defer></script>
   Optional attributes: data-lang="ru|en". Pages read the choice from
   window.oberegConsent (category -> true/false) or the "obereg:consent" event. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) return;
  var base = me.src.replace(/\/banner\.js(\?.*)?$/, "");
  var lang = me.getAttribute("data-lang") || (navigator.language || "ru").slice(0, 2);
  lang = lang === "en" ? "en" : "ru";
  var KEY = "obereg_visitor";
  var T = {
    ru: { title: "Мы используем cookie", text: "Выберите, какие cookie разрешить. Строго необходимые работают всегда.",
          save: "Сохранить выбор", all: "Разрешить все", none: "Только необходимые", doc: "Текст согласия", gpc: "Браузер передаёт отказ от рекламы (GPC)" },
    en: { title: "We use cookies", text: "Choose which cookies to allow. Strictly necessary ones always work.",
          save: "Save my choice", all: "Allow all", none: "Necessary only", doc: "Consent text", gpc: "Your browser sends an advertising opt-out (GPC)" }
  }[lang];

  function call(method, path, body) {
    var headers = { "Accept": "application/json" };
    var stored = null;
    try { stored = localStorage.getItem(KEY); } catch (e) { stored = null; }
    if (stored) headers["X-Obereg-Visitor"] = stored;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(base + path, { method: method, headers: headers, credentials: "include",
                                body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  function publish(state) {
    var map = {};
    state.choices.forEach(function (c) { map[c.category] = c.allowed; });
    if (state.visitor) { try { localStorage.setItem(KEY, state.visitor); } catch (e) { /* private mode */ } }
    window.oberegConsent = map;
    document.dispatchEvent(new CustomEvent("obereg:consent", { detail: map }));
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function show(banner) {
    var box = el("div", { role: "dialog", "aria-label": T.title, id: "obereg-banner",
      style: "position:fixed;bottom:0;left:0;right:0;z-index:2147483647;background:#fff;color:#111;border-top:1px solid #999;padding:1em;font:14px/1.4 system-ui,sans-serif" });
    box.appendChild(el("strong", {}, T.title));
    box.appendChild(el("p", {}, T.text));
    if (navigator.globalPrivacyControl) box.appendChild(el("p", {}, T.gpc));
    var boxes = [];
    banner.categories.forEach(function (c) {
      var label = el("label", { style: "display:block" });
      var input = el("input", { type: "checkbox", value: c.id });
      if (c.kind === "necessary") { input.checked = true; input.disabled = true; } else { boxes.push(input); }
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + (lang === "en" && c.name_en ? c.name_en : c.name_ru)));
      box.appendChild(label);
    });
    if (banner.document_url) {
      var a = el("a", { href: base + banner.document_url + "?lang=" + lang, target: "_blank", rel: "noopener" }, T.doc);
      box.appendChild(a);
    }
    function send(pick) {
      var choices = {};
      boxes.forEach(function (b) { choices[b.value] = pick === undefined ? b.checked : pick; });
      call("POST", "/choices", { choices: choices, document: banner.document }).then(function (s) { publish(s); box.remove(); });
    }
    var row = el("div", { style: "margin-top:.5em" });
    [[T.all, true], [T.none, false], [T.save, undefined]].forEach(function (b) {
      var button = el("button", { type: "button", style: "margin-right:.5em" }, b[0]);
      button.addEventListener("click", function () { send(b[1]); });
      row.appendChild(button);
    });
    box.appendChild(row);
    document.body.appendChild(box);
  }

  call("GET", "/choices").then(function (state) {
    publish(state);
    var open = state.choices.some(function (c) { return c.reason === "not_asked"; });
    if (open) call("GET", "/banner").then(show);
  }, function () { call("GET", "/banner").then(show); });
})();
