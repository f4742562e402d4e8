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

  function showResult(data) {
    var verdict = data.verdict || { status: "invalid", headline: "Not valid", reason: "" };
    var summary = data.summary || {};
    var box = $("verdict");
    box.className = "verdict " + verdict.status;
    box.setAttribute("data-status", verdict.status);
    $("verdict-headline").textContent = verdict.headline;
    $("verdict-reason").textContent = verdict.reason || "";
    var facts = $("facts");
    clear(facts);
    $("facts-note").hidden = verdict.status !== "invalid";
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
