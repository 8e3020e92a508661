// The interview page: countdown, draft autosave, submit / skip / pause / finish with the terminal's
// confirmations, its keys, and the session's state polled from the server. The server owns the
// clock and the disk: this script only shows the time it reports and posts what is typed.
"use strict";
(() => {
  const root = document.getElementById("interview");
  if (!root) return;
  const d = root.dataset;
  const api = (what) => `/api/s/${encodeURIComponent(d.sid)}/${what}`;
  const $ = (id) => document.getElementById(id);
  const editor = $("answer");
  const AUTOSAVE_MS = 3000, POLL_MS = 1000;
  const loaded = performance.now();
  const at = (seconds) => loaded + Number(seconds || 0) * 1000;
  let deadline = at(d.secondsLeft), questionEnd = at(d.questionLeft), interviewEnd = at(d.interviewLeft);
  let lastSent = editor ? editor.value : "", sending = false, leaving = false, done = false, timeUp = false;
  let retry = null;  // an action the server could not save yet: retried with the autosave

  const mmss = (ms) => {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  };
  const status = (text, bad) => {
    const el = $("save-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("bad", !!bad);
  };
  const clockTime = () => new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit"});

  // words in English, characters (字) in Chinese, as the terminal counts them
  const CJK = /[\u3400-\u9fff\uf900-\ufaff]/g, WORD = /[^\s\u3400-\u9fff\uf900-\ufaff]+/g;
  const count = (text) => {
    const words = (text.match(WORD) || []).length, chars = (text.match(CJK) || []).length;
    if (d.lang === "zh") return `已写 ${words + chars} 字`;
    return `${words} word${words === 1 ? "" : "s"}` + (chars ? ` + ${chars} 字` : "");
  };

  async function post(what, body, keepalive) {
    const r = await fetch(api(what), {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
      credentials: "same-origin", keepalive: !!keepalive,
    });
    let data = {};
    try { data = await r.json(); } catch (e) { /* not JSON: keep the status */ }
    return {status: r.status, ok: r.ok, data};
  }

  // -- drafts ---------------------------------------------------------------------------------
  async function saveDraft(force) {
    if (!editor || done || sending) return;
    const text = editor.value;
    if (!force && text === lastSent && !retry) return;
    sending = true;
    try {
      const r = await post("draft", {key: d.key, text});
      if (r.ok) {
        lastSent = text;
        status(`${d.tSaved} ${clockTime()}`);
      } else if (r.status === 409) {
        closedElsewhere();
      } else {
        status(d.tNotSaved.replace("{reason}", r.data.error || r.status), true);
      }
    } catch (e) {
      status(d.tGone, true);
    } finally {
      sending = false;
    }
    if (retry && !done) act(retry.action, true);
  }

  // -- replies --------------------------------------------------------------------------------
  async function act(action, again) {
    if (!editor || done || (sending && !again)) return;
    hideConfirm();
    sending = true;
    retry = null;
    status(d.tSaving);
    try {
      const r = await post("reply", {key: d.key, text: editor.value, action});
      if (r.ok) {
        done = true;
        editor.readOnly = true;
        root.classList.add("sent");
        status(action === "pause" ? "" : d.tNext);
        poll();
        return;
      }
      if (r.status === 409) { closedElsewhere(); return; }
      retry = {action};  // the disk refused it: the text stays, retried with the autosave
      status(d.tNotSaved.replace("{reason}", r.data.error || r.status), true);
    } catch (e) {
      retry = {action};
      status(d.tGone, true);
    } finally {
      sending = false;
    }
  }

  function closedElsewhere() {
    done = true;
    if (editor) editor.readOnly = true;
    status(d.tClosed);
    setTimeout(() => location.reload(), 1500);
  }

  // -- confirmations, as the terminal asks them (y confirms, any other key returns) ----------------
  let pending = null;
  function ask(text, then) {
    pending = then;
    $("confirm-text").textContent = text;
    $("confirm").hidden = false;
    $("confirm-yes").focus();
  }
  function hideConfirm() {
    pending = null;
    const box = $("confirm");
    if (box && !box.hidden) {
      box.hidden = true;
      editor.focus();
    }
  }
  const typed = () => editor.value.trim().length > 0;
  const submit = () => typed() ? act("submit") : ask(d.confirmEmpty, () => act("skip"));
  const skip = () => typed() ? ask(d.confirmSkip, () => act("skip")) : act("skip");
  const finish = () => d.confirmFinish ? ask(d.confirmFinish, () => act("finish")) : act("finish");
  const pause = () => act("pause");

  if (editor) {
    $("submit").addEventListener("click", submit);
    $("skip").addEventListener("click", skip);
    $("pause").addEventListener("click", pause);
    $("finish").addEventListener("click", finish);
    $("confirm-yes").addEventListener("click", () => { const then = pending; hideConfirm(); if (then) then(); });
    $("confirm-no").addEventListener("click", hideConfirm);
    editor.addEventListener("input", () => { $("count").textContent = count(editor.value); });
    $("count").textContent = count(editor.value);
    editor.focus();
    editor.setSelectionRange(editor.value.length, editor.value.length);
    const current = $("question");
    if (current && current.classList.contains("current")) current.scrollIntoView({block: "nearest"});
  }

  let escape = false;  // Esc then Enter submits, as in the terminal
  document.addEventListener("keydown", (e) => {
    if (!editor || done) return;
    if (pending) {
      if (["Shift", "Control", "Alt", "Meta"].includes(e.key)) return;
      e.preventDefault();
      const then = pending;
      hideConfirm();
      if (e.key === "y" || e.key === "Y") then();
      return;
    }
    const ctrl = e.ctrlKey || e.metaKey;
    if ((ctrl && e.key === "Enter") || (ctrl && (e.key === "d" || e.key === "D")) || (escape && e.key === "Enter")) {
      e.preventDefault(); escape = false; submit(); return;
    }
    escape = e.key === "Escape";
    if (e.altKey && !ctrl) {
      const k = e.code;
      if (k === "KeyN") { e.preventDefault(); skip(); }
      else if (k === "KeyQ") { e.preventDefault(); finish(); }
      else if (k === "KeyP") { e.preventDefault(); pause(); }
    }
  });

  // -- the clock -------------------------------------------------------------------------------
  function tick() {
    if (!editor) return;
    const now = performance.now();
    const q = $("q-left"), all = $("all-left");
    q.textContent = mmss(questionEnd - now);
    all.textContent = mmss(interviewEnd - now);
    const low = Math.min(questionEnd, interviewEnd) - now < 30000;
    $("clock").classList.toggle("low", low);
    if (!done && now >= deadline && (!timeUp || editor.value !== lastSent)) {
      // time is up: what is typed goes to the server, which submits it as it stands
      timeUp = true;
      editor.readOnly = true;
      saveDraft(true);
    }
  }

  // -- the session's state ---------------------------------------------------------------------------
  let polling = false;
  async function poll() {
    if (polling || leaving) return;
    polling = true;
    try {
      const r = await fetch(api("state"), {credentials: "same-origin", cache: "no-store"});
      if (!r.ok) return;
      const s = await r.json();
      if (String(s.version) !== d.version || s.status !== d.status) {
        if (!sending) location.reload();
        return;
      }
      if (s.turn && s.turn.key === d.key) {  // the server's clock is the one that counts
        questionEnd = performance.now() + s.turn.question_left * 1000;
        interviewEnd = performance.now() + s.turn.interview_left * 1000;
        deadline = performance.now() + s.turn.seconds_left * 1000;
      }
      showAnswers(s.answers);
      const judge = $("judge-line");
      if (judge) judge.textContent = s.judge || "";
    } catch (e) {
      if (editor && !done) status(d.tGone, true);
    } finally {
      polling = false;
    }
  }

  function showAnswers(rows) {
    const list = $("answers");
    if (!list || !rows) return;
    rows.forEach((row) => {
      const item = list.querySelector(`li[data-n="${row.n}"]`);
      if (!item) return;
      const label = item.querySelector(".label");
      const current = editor && !done && d.key.split(".")[0] === String(row.n - 1) && row.status === "not_reached";
      if (label) label.textContent = current ? d.tOpen : row.label;
      const fus = item.querySelectorAll(".fu");
      row.follow_ups.forEach((f, i) => {
        let el = fus[i];
        if (!el) {
          el = document.createElement("div");
          el.className = "fu";
          el.appendChild(document.createTextNode(`↳ ${f.k}: `));
          const span = document.createElement("span");
          span.className = "label";
          el.appendChild(span);
          item.appendChild(el);
        }
        el.querySelector(".label").textContent = f.label;
      });
    });
  }

  // a closed tab or a reload: the last text is saved, and the server pauses the turn if no page returns
  window.addEventListener("pagehide", () => {
    leaving = true;
    if (editor && !done) post("leave", {key: d.key, text: editor.value}, true).catch(() => {});
  });

  if (d.savedAgo !== "" && editor) status(`${d.tSaved}`);
  setInterval(tick, 250);
  setInterval(() => saveDraft(false), AUTOSAVE_MS);
  setInterval(poll, POLL_MS);
  tick();
})();
