// The employer's verifier page. Same-origin only; renders with textContent (never innerHTML).
// Strings from documents arrive inert (omc_vc/web/summary.py: no control, escape or bidi formatting
// character); each one is also set in an element of its own with dir="auto" (a <dd>, a <bdi>), which HTML
// isolates (HTML "The dir attribute"; UAX #9 isolates), so right-to-left text cannot reorder our words.
// Link mode: the credential travels in the URL fragment, which browsers never send to a server; this
// script POSTs it to /verify/fragment so the server decodes and verifies it for this request only.
// Words: the page is served in the reader's language (<html lang>: en-CA, fr-CA), chosen by its ?lang= switch or
// the browser's Accept-Language; every POST carries the page's language (?lang=), so the results' labels, dates,
// counts and verdict come from the service in it (summary.py); this script's own few words are in the page
// (templates/index.html, #page-text), translated by the service. The language switch keeps a link-mode fragment.
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var TEXT = {};
  var LANG = document.documentElement.getAttribute("lang") || "en-CA";

  // a page endpoint in the page's language
  function endpoint(path) { return path + "?lang=" + encodeURIComponent(LANG); }

  function say(key, values) {
    var text = TEXT[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function bdi(text) {
    var node = document.createElement("bdi");
    node.textContent = String(text);
    return node;
  }

  // facts: [{key, label, value, long}] from the service, in the order to show
  function fillFacts(list, facts) {
    clear(list);
    (facts || []).forEach(function (fact) {
      var dt = document.createElement("dt");
      dt.textContent = fact.label;
      var dd = document.createElement("dd");
      dd.textContent = fact.value;
      dd.setAttribute("dir", "auto");
      dd.setAttribute("data-fact", fact.key);
      // the credential's own words, in the language it was issued in (WCAG 2.0 SC 3.1.2)
      if (fact.lang) { dd.setAttribute("lang", fact.lang); }
      if (fact.long) { dd.className = "long"; }
      list.appendChild(dt);
      list.appendChild(dd);
    });
  }

  function busy(on) {
    $("progress").hidden = !on;
    $("progress-text").textContent = say("checking");
    $("result").setAttribute("aria-busy", on ? "true" : "false");
  }

  // A section of the result created on first use (before the facts), emptied for each new result.
  function section(id, className) {
    var node = $(id);
    if (!node) {
      node = document.createElement("section");
      node.id = id;
      node.className = className;
      $("result").insertBefore(node, $("facts-note"));
    }
    clear(node);
    node.hidden = true;
    return node;
  }

  function heading(level, text, id) {
    var node = document.createElement(level);
    node.textContent = text;
    if (id) { node.id = id; }
    return node;
  }

  function checkItem(c, label, detail) {
    var li = document.createElement("li");
    li.className = c.status;
    li.setAttribute("data-check", c.name);
    var st = document.createElement("span");
    st.className = "st";
    st.textContent = say("status:" + c.status);
    li.appendChild(st);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(bdi(label));
    li.appendChild(document.createTextNode(say("colon") + " "));
    li.appendChild(bdi(detail || ""));
    return li;
  }

  // The presentation's own checks (holder, challenge, domain), in the server's plain words.
  function showPresentation(checks) {
    var box = section("presentation-box", "sub presentation");
    if (!checks || !checks.length) { return; }
    box.setAttribute("aria-labelledby", "presentation-title");
    box.appendChild(heading("h3", say("presentation"), "presentation-title"));
    var list = document.createElement("ul");
    list.className = "checks";
    checks.forEach(function (c) { list.appendChild(checkItem(c, c.label, c.detail)); });
    box.appendChild(list);
    box.hidden = false;
  }

  function fillTargets(list, targets) {
    clear(list);
    (targets || []).forEach(function (t) {
      var li = document.createElement("li");
      li.appendChild(bdi(t.name));
      [t.awardedBy, t.credit].forEach(function (part) {
        if (part) { li.appendChild(document.createTextNode(" · ")); li.appendChild(bdi(part)); }
      });
      list.appendChild(li);
    });
  }

  // One card per credential of a presentation of several: its own verdict and facts.
  function showCards(cards) {
    var box = section("credentials-box", "sub credentials");
    if (!cards || cards.length < 2) { return; }
    cards.forEach(function (card, index) {
      var verdict = card.verdict || { status: "invalid", headline: say("notValid"), reason: "" };
      var item = document.createElement("section");
      var titleId = "credential-" + (index + 1) + "-title";
      item.className = "credential-card";
      item.setAttribute("data-credential", String(index + 1));
      item.setAttribute("aria-labelledby", titleId);
      item.appendChild(heading("h3", say("credentialOf", { number: index + 1, count: cards.length }), titleId));
      var head = document.createElement("div");
      head.className = "verdict " + verdict.status;
      head.setAttribute("data-status", verdict.status);
      var strong = document.createElement("p");
      strong.className = "card-headline";
      strong.textContent = verdict.headline;
      head.appendChild(strong);
      var reason = document.createElement("p");
      reason.className = "reason";
      reason.textContent = verdict.reason || "";
      head.appendChild(reason);
      item.appendChild(head);
      var facts = document.createElement("dl");
      facts.className = "facts";
      fillFacts(facts, card.facts);
      item.appendChild(facts);
      if (card.targets && card.targets.length) {
        var targets = document.createElement("ul");
        targets.className = "targets";
        fillTargets(targets, card.targets);
        item.appendChild(targets);
      }
      box.appendChild(item);
    });
    box.hidden = false;
  }

  function showResult(data) {
    var verdict = data.verdict || { status: "invalid", headline: say("notValid"), reason: "" };
    var box = $("verdict");
    box.className = "verdict " + verdict.status;
    box.setAttribute("data-status", verdict.status);
    $("verdict-headline").textContent = verdict.headline;
    $("verdict-reason").textContent = verdict.reason || "";
    showPresentation(verdict.presentation);
    showCards(data.credentials);
    fillFacts($("facts"), data.facts);
    $("facts-note").hidden = verdict.status !== "invalid" || !$("facts").firstChild;
    fillTargets($("targets"), data.targets);
    $("targets-box").hidden = !$("targets").firstChild;
    fillFacts($("about"), data.about);
    $("about-box").hidden = !$("about").firstChild;
    var checks = $("checks");
    clear(checks);
    (data.checks || []).forEach(function (c) { checks.appendChild(checkItem(c, c.label || c.name, c.detail)); });
    (data.warnings || []).forEach(function (w) {
      var li = document.createElement("li");
      li.className = "warning";
      var st = document.createElement("span");
      st.className = "st";
      st.textContent = say("warning");
      li.appendChild(st);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(bdi(w));
      checks.appendChild(li);
    });
    $("checks-count").textContent = String(checks.childNodes.length);
    $("checks-box").hidden = !checks.firstChild;
    document.body.classList.add("has-result");
    $("result").hidden = false;
    // move the reader to the verdict (announced by screen readers); a script's focus, so no ring is drawn
    $("verdict-headline").focus();
    window.scrollTo(0, 0);
  }

  function showError(message) {
    showResult({ verdict: { status: "error", headline: say("checkFailed"), reason: message },
                 facts: [], about: [], checks: [] });
  }

  function post(url, body, contentType) {
    busy(true);
    var options = { method: "POST", body: body, credentials: "same-origin", cache: "no-store" };
    if (contentType) { options.headers = { "Content-Type": contentType }; }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) {
        busy(false);
        if (data && data.verdict) { showResult(data); }
        // a refusal's detail is the API's English; another language gets our sentence with its code
        else if (data && data.detail && LANG.indexOf("en") === 0) { showError(data.detail); }
        else if (data && data.code) { showError(say("refused", { code: data.code })); }
        else { showError(say("answered", { status: response.status })); }
      });
    }).catch(function () {
      busy(false);
      showError(say("unreachable"));
    });
  }

  function start() {
    try { TEXT = JSON.parse($("page-text").textContent); } catch (e) { TEXT = {}; }
    $("upload-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("file");
      if (!input.files || !input.files.length) { showError(say("chooseFile")); return; }
      var form = new FormData();
      form.append("file", input.files[0]);
      post(endpoint("/verify/upload"), form, null);
    });
    $("paste-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("paste").value;
      if (!text.trim()) { showError(say("pasteFirst")); return; }
      post(endpoint("/verify/text"), text, "text/plain;charset=UTF-8");
    });
    $("again").addEventListener("click", function () {
      $("result").hidden = true;
      document.body.classList.remove("has-result");
      $("paste").value = "";
      $("file").value = "";
      $("file").focus();
    });
    var share = document.body.getAttribute("data-share");
    if (share) {
      post(endpoint("/verify/share/" + encodeURIComponent(share)), "", "text/plain;charset=UTF-8");
    } else if (location.hash.length > 1) {
      // the switch to the other language keeps the credential of a link-mode page (its fragment)
      $("language-switch").setAttribute("href", $("language-switch").getAttribute("href") + location.hash);
      post(endpoint("/verify/fragment"), location.hash.slice(1), "text/plain;charset=UTF-8");
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
