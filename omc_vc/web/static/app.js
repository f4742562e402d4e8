// The employer's verifier page. Same-origin only; renders with textContent (never innerHTML).
// Strings from documents arrive inert (omc_vc/web/summary.py: no control, escape or bidi formatting
// character); each one is also set in an element of its own with dir="auto" (a <dd>, a <bdi>), which HTML
// isolates (HTML "The dir attribute"; UAX #9 isolates), so right-to-left text cannot reorder our words.
// Link mode: the credential travels in the URL fragment, which browsers never send to a server; this
// script POSTs it to /verify/fragment so the server decodes and verifies it for this request only.
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var LABELS = {
    institution: "Institution (as the ministry's registry records it)",
    issuerName: "Issuer (as the credential names it)",
    learner: "Learner",
    achievement: "Achievement",
    instructionalHours: "Instructional hours",
    durationWeeks: "Duration (weeks)",
    qualificationCategory: "Qualification category",
    deliveryMode: "Delivery mode",
    credits: "Credits",
    endorsements: "Endorsed by",
    issued: "Issued",
    validUntil: "Valid until"
  };
  var STATUS_WORDS = { passed: "passed", failed: "FAILED", warning: "warning", skipped: "skipped" };

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function bdi(text) {
    var node = document.createElement("bdi");
    node.textContent = String(text);
    return node;
  }

  function addFact(list, key, value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) { return; }
    var dt = document.createElement("dt");
    dt.textContent = LABELS[key] || key;
    var dd = document.createElement("dd");
    dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
    dd.setAttribute("dir", "auto");
    dd.setAttribute("data-fact", key);
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function busy(on, text) {
    $("progress").hidden = !on;
    $("progress-text").textContent = text || "Checking…";
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

  function heading(level, text) {
    var node = document.createElement(level);
    node.textContent = text;
    return node;
  }

  // The presentation's own checks (holder, challenge, domain), in the server's plain words.
  function showPresentation(checks) {
    var box = section("presentation-box", "sub presentation");
    if (!checks || !checks.length) { return; }
    box.appendChild(heading("h3", "The presentation itself"));
    var list = document.createElement("ul");
    list.className = "checks";
    checks.forEach(function (c) {
      var li = document.createElement("li");
      li.className = c.status;
      li.setAttribute("data-check", c.name);
      var st = document.createElement("span");
      st.className = "st";
      st.textContent = STATUS_WORDS[c.status] || c.status;
      li.appendChild(st);
      li.appendChild(document.createTextNode(" " + c.label + ": "));
      li.appendChild(bdi(c.detail || ""));
      list.appendChild(li);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  // One card per credential of a presentation of several: its own verdict and facts.
  function showCards(cards) {
    var box = section("credentials-box", "sub credentials");
    if (!cards || cards.length < 2) { return; }
    cards.forEach(function (card, index) {
      var verdict = card.verdict || { status: "invalid", headline: "Not valid", reason: "" };
      var item = document.createElement("section");
      item.className = "credential-card";
      item.setAttribute("data-credential", String(index + 1));
      item.appendChild(heading("h3", "Credential " + (index + 1) + " of " + cards.length));
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
      fillFacts(facts, verdict, card.summary || {});
      item.appendChild(facts);
      box.appendChild(item);
    });
    box.hidden = false;
  }

  function fillFacts(facts, verdict, summary) {
    addFact(facts, "institution", verdict.institution);
    addFact(facts, "issuerName", summary.issuerName);
    addFact(facts, "learner", summary.learner);
    addFact(facts, "achievement", summary.achievement || summary.credentialName);
    addFact(facts, "instructionalHours", summary.instructionalHours);
    addFact(facts, "durationWeeks", summary.durationWeeks);
    addFact(facts, "qualificationCategory", summary.qualificationCategory);
    addFact(facts, "deliveryMode", summary.deliveryMode);
    if (summary.credits !== null && summary.credits !== undefined) {
      addFact(facts, "credits", summary.credits + (summary.creditUnit ? " " + summary.creditUnit : ""));
    }
    addFact(facts, "endorsements", summary.endorsements);
    addFact(facts, "issued", summary.issued);
    addFact(facts, "validUntil", summary.validUntil);
  }

  function showResult(data) {
    var verdict = data.verdict || { status: "invalid", headline: "Not valid", reason: "" };
    var summary = data.summary || {};
    var box = $("verdict");
    box.className = "verdict " + verdict.status;
    box.setAttribute("data-status", verdict.status);
    $("verdict-headline").textContent = verdict.headline;
    $("verdict-reason").textContent = verdict.reason || "";
    showPresentation(verdict.presentation);
    showCards(data.credentials);
    var facts = $("facts");
    clear(facts);
    fillFacts(facts, verdict.credentials && verdict.credentials.length > 1 ? {} : verdict, summary);
    $("facts-note").hidden = verdict.status !== "invalid" || !facts.firstChild;
    var targets = $("targets");
    clear(targets);
    (summary.stacksInto || []).forEach(function (t) {
      var li = document.createElement("li");
      var say = function (text) { li.appendChild(document.createTextNode(text)); };
      li.appendChild(bdi(t.name || t.id || "a larger credential"));
      if (t.awardingInstitution) { say(" · awarded by "); li.appendChild(bdi(t.awardingInstitution)); }
      if (t.creditValue !== null && t.creditValue !== undefined) {
        say(" · " + t.creditValue + " ");
        li.appendChild(bdi(t.creditUnit || "credits"));
        if (t.creditRequired) { say(" toward the " + t.creditRequired + " required"); }
      }
      targets.appendChild(li);
    });
    $("targets-box").hidden = !targets.firstChild;
    var checks = $("checks");
    clear(checks);
    (data.checks || []).forEach(function (c) {
      var li = document.createElement("li");
      li.className = c.status;
      var st = document.createElement("span");
      st.className = "st";
      st.textContent = STATUS_WORDS[c.status] || c.status;
      li.appendChild(st);
      li.appendChild(document.createTextNode(" " + c.name + ": " + (c.detail || "")));
      checks.appendChild(li);
    });
    (data.warnings || []).forEach(function (w) {
      var li = document.createElement("li");
      li.className = "warning";
      li.textContent = "warning: " + w;
      checks.appendChild(li);
    });
    $("checks-count").textContent = String(checks.childNodes.length);
    $("result").hidden = false;
    $("verdict-headline").focus();
  }

  function showError(message) {
    showResult({ verdict: { status: "error", headline: "Could not check this credential", reason: message },
                 summary: {}, checks: [] });
  }

  function post(url, body, contentType) {
    busy(true);
    var options = { method: "POST", body: body, credentials: "same-origin", cache: "no-store" };
    if (contentType) { options.headers = { "Content-Type": contentType }; }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) {
        busy(false);
        if (data && data.verdict) { showResult(data); }
        else { showError((data && data.detail) || ("the service answered HTTP " + response.status)); }
      });
    }).catch(function () {
      busy(false);
      showError("the verification service could not be reached");
    });
  }

  function start() {
    $("upload-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("file");
      if (!input.files || !input.files.length) { showError("choose a file first"); return; }
      var form = new FormData();
      form.append("file", input.files[0]);
      post("/verify/upload", form, null);
    });
    $("paste-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("paste").value;
      if (!text.trim()) { showError("paste a credential, a JWT or a link first"); return; }
      post("/verify/text", text, "text/plain;charset=UTF-8");
    });
    $("again").addEventListener("click", function () {
      $("result").hidden = true;
      $("paste").value = "";
      $("file").value = "";
      $("file").focus();
    });
    var share = document.body.getAttribute("data-share");
    if (share) {
      post("/verify/share/" + encodeURIComponent(share), "", "text/plain;charset=UTF-8");
    } else if (location.hash.length > 1) {
      post("/verify/fragment", location.hash.slice(1), "text/plain;charset=UTF-8");
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
