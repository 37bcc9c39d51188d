// furusato-vc kiosk page. Everything is served by the local kiosk server; nothing is stored
// in the browser (no web storage, no cookie) and verdicts are removed from the page when
// they clear. Text from the server is only ever set with textContent.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const scan = $("scan");
  const STAFF_CODES = new Set([
    "qr_keyboard_layout", "qr_reader_unavailable", "trust_list_expired",
    "clock_behind_trust_data", "status_stale", "status_list_expired",
  ]);
  const STATUS_EVERY_MS = 15000;
  const FRAME_EVERY_MS = 250;

  let config = { clear_after_ms: 5000, challenge: false, messages: {} };
  let clearTimer = null;
  let busy = false;
  let blocked = false;
  let showing = false;
  let camera = null; // {stream, timer}
  const counts = { verified: 0, rejected: 0 };

  // ------------------------------------------------------------------ helpers

  function setText(id, text) { $(id).textContent = text == null ? "" : String(text); }

  async function getJson(path) {
    const response = await fetch(path, { cache: "no-store" });
    return response.json();
  }

  async function post(path, data, type) {
    const response = await fetch(path, {
      method: "POST", body: data, headers: { "Content-Type": type }, cache: "no-store",
    });
    return response.json();
  }

  function focusScanner() {
    if (document.activeElement !== scan && !$("staff-note").open) scan.focus({ preventScroll: true });
  }

  function setLang(lang) {
    body.dataset.lang = lang;
    document.documentElement.lang = lang;
  }

  function renderCounts() {
    setText("counts", "");
    const ja = document.createElement("span");
    ja.className = "ja";
    ja.textContent = `確認済み ${counts.verified}・不可 ${counts.rejected}`;
    const en = document.createElement("span");
    en.className = "en";
    en.textContent = `Verified ${counts.verified} · Rejected ${counts.rejected}`;
    $("counts").append(ja, en);
  }

  // ------------------------------------------------------------------ screens

  function showIdle() {
    showing = false;
    $("verdict").hidden = true;
    $("verdict").className = "verdict";
    for (const id of ["headline-ja", "headline-en", "body-ja", "body-en", "message-ja",
      "message-en", "message-ja-2", "message-en-2", "benefit-ja", "benefit-en", "code"]) {
      setText(id, "");
    }
    $("claims").replaceChildren();
    $("idle").hidden = blocked;
    body.dataset.state = blocked ? "blocked" : "idle";
    if (config.challenge) refreshChallenge();
  }

  function showVerdict(result, startedAt) {
    const verdict = $("verdict");
    clearTimeout(clearTimer);
    showing = true;
    const ok = result.result === "verified";
    const staff = !ok && STAFF_CODES.has(result.code);
    verdict.className = "verdict " + (ok ? "ok" : staff ? "staff" : "ng");
    $("mark").setAttribute("aria-label", ok ? "✓" : staff ? "⚠" : "✗");
    $("claims").replaceChildren();
    if (ok) {
      setText("headline-ja", "確認できました");
      setText("headline-en", "Verified");
      setText("body-ja", `${result.body.name_ja}（${result.tier.ja}）`);
      setText("body-en", `${result.body.name_en} (${result.tier.en})`);
      for (const id of ["message-ja", "message-en", "message-ja-2", "message-en-2", "code"]) setText(id, "");
      for (const claim of result.claims) {
        const dt = document.createElement("dt");
        const dd = document.createElement("dd");
        const labelJa = document.createElement("span");
        labelJa.className = "ja";
        labelJa.textContent = claim.label_ja;
        const labelEn = document.createElement("span");
        labelEn.className = "en";
        labelEn.textContent = claim.label_en;
        dt.append(labelJa, labelEn);
        dd.textContent = claim.value;
        $("claims").append(dt, dd);
      }
      const benefit = result.benefit || {};
      setText("benefit-ja", benefit.ja || "");
      setText("benefit-en", benefit.en || "");
      $("benefit").classList.toggle("none", !result.benefit);
      // a valid card at a benefit it does not get (e.g. basic at a premium-only benefit)
      $("benefit").classList.toggle("not-applicable", benefit.applicable === false);
      counts.verified += 1;
    } else {
      const known = config.messages[result.code] || {};
      const ja = result.message_ja || known.ja || "";
      const en = result.message_en || known.en || "";
      setText("headline-ja", staff ? "係員をお呼びください" : "確認できません");
      setText("headline-en", staff ? "Please call staff" : "Not accepted");
      setText("body-ja", "");
      setText("body-en", "");
      setText("message-ja", ja);
      setText("message-en", en);
      setText("message-ja-2", ja);
      setText("message-en-2", en);
      setText("benefit-ja", "");
      setText("benefit-en", "");
      $("benefit").classList.add("none");
      $("benefit").classList.remove("not-applicable");
      setText("code", result.code);
      counts.rejected += 1;
    }
    verdict.dataset.result = result.result;
    verdict.dataset.code = result.code || "";
    $("idle").hidden = true;
    hideWorking();
    verdict.hidden = false;
    body.dataset.state = "verdict";
    renderCounts();
    if (startedAt !== undefined) {
      // scan-to-verdict: from the scanner's Enter to the first frame with the verdict painted
      requestAnimationFrame(() => setTimeout(() => {
        verdict.dataset.scanMs = (performance.now() - startedAt).toFixed(1);
      }, 0));
    }
    clearTimer = setTimeout(showIdle, config.clear_after_ms);
  }

  let workingTimer = null;

  function showWorking() {
    // only when an answer is slow: an extra repaint would delay a fast verdict
    clearTimeout(workingTimer);
    workingTimer = setTimeout(() => { if (busy) $("working").hidden = false; }, 300);
  }

  function hideWorking() {
    clearTimeout(workingTimer);
    $("working").hidden = true;
  }

  function networkError() {
    showVerdict({ result: "rejected", code: "", message_ja: "確認用のプログラムに接続できません。",
      message_en: "Cannot reach the kiosk program." });
  }

  // ------------------------------------------------------------------ inputs

  async function submitText(text, startedAt) {
    if (blocked || busy) return;
    busy = true;
    showWorking();
    try {
      const result = await post("/scan", JSON.stringify({ text }), "application/json");
      const answeredAt = performance.now();
      showVerdict(result, startedAt);
      $("verdict").dataset.answerMs = (answeredAt - startedAt).toFixed(1);
    } catch (error) {
      networkError();
    } finally {
      busy = false;
      hideWorking();
    }
  }

  scan.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    const text = scan.value;
    scan.value = "";
    if (text) submitText(text, performance.now());
  });
  scan.addEventListener("blur", () => setTimeout(focusScanner, 0));
  document.addEventListener("click", () => setTimeout(focusScanner, 0));
  window.addEventListener("focus", focusScanner);

  async function submitImage(path, blob, type) {
    const result = await post(path, blob, type);
    if (result.result === "none") return false;
    showVerdict(result);
    return true;
  }

  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    $("upload").value = "";
    if (!file || blocked || busy) return;
    busy = true;
    showWorking();
    try {
      const type = file.type && file.type.startsWith("image/") ? file.type : "image/png";
      await submitImage("/image", file, type);
    } catch (error) {
      networkError();
    } finally {
      busy = false;
      hideWorking();
      focusScanner();
    }
  });

  // ------------------------------------------------------------------ camera

  async function grabFrame() {
    if (!camera || busy || blocked || showing) return;
    const video = $("video");
    if (video.readyState < 2 || !video.videoWidth) return;
    const canvas = $("canvas");
    const scale = Math.min(1, 1280 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    busy = true;
    try {
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
      if (blob) await submitImage("/frame", blob, "image/jpeg");
    } catch (error) {
      // a lost frame is not a verdict; the next one is tried
    } finally {
      busy = false;
    }
  }

  async function startCamera() {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    const video = $("video");
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    camera = { stream, timer: setInterval(grabFrame, FRAME_EVERY_MS) };
    $("camera-toggle").setAttribute("aria-pressed", "true");
  }

  function stopCamera() {
    if (!camera) return;
    clearInterval(camera.timer);
    for (const track of camera.stream.getTracks()) track.stop();
    camera = null;
    $("video").srcObject = null;
    $("video").hidden = true;
    $("camera-toggle").setAttribute("aria-pressed", "false");
  }

  $("camera-toggle").addEventListener("click", async () => {
    if (camera) { stopCamera(); return; }
    try {
      await startCamera();
    } catch (error) {
      showVerdict({ result: "rejected", code: "qr_reader_unavailable",
        message_ja: "カメラを使えません。スキャナーか画像を使ってください。",
        message_en: "The camera cannot be used; use the scanner or an image." });
    }
  });

  // ------------------------------------------------------------------ status, challenge

  function formatTime(seconds, lang) {
    // registration and status times are Japan times, whatever the device's time zone
    return new Date(seconds * 1000).toLocaleString(lang === "ja" ? "ja-JP" : "en-GB",
      { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Tokyo" }) + " JST";
  }

  async function refreshStatus() {
    let status;
    try {
      status = await getJson("/status");
    } catch (error) {
      return;
    }
    counts.verified = status.counts.verified;
    counts.rejected = status.counts.rejected;
    renderCounts();
    const message = status.message || { ja: "", en: "" };
    blocked = status.freshness === "stale";
    $("blocked").hidden = !blocked;
    setText("blocked-ja", message.ja);
    setText("blocked-en", message.en);
    if (blocked) {
      stopCamera();
      $("idle").hidden = true;
      body.dataset.state = "blocked";
    } else if (!showing) {
      $("idle").hidden = false;
      body.dataset.state = "idle";
    }
    const banner = $("banner");
    banner.dataset.freshness = status.freshness;
    if (status.freshness === "aging") {
      let ja = "検証用データが古くなっています。";
      let en = "The verification data is getting old. ";
      if (status.usable_until) {
        ja += `${formatTime(status.usable_until, "ja")}までに更新してください。`;
        en += `Update it before ${formatTime(status.usable_until, "en")}.`;
      } else {
        ja += "更新してください。";
        en += "Please update it.";
      }
      if (status.unusable_bodies.length) {
        ja += ` 一部の団体（${status.unusable_bodies.length}）の登録証は確認できません。`;
        en += ` Cards of ${status.unusable_bodies.length} bod${status.unusable_bodies.length === 1 ? "y" : "ies"} cannot be checked.`;
      }
      setText("banner-ja", ja);
      setText("banner-en", en);
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }

  async function refreshChallenge() {
    try {
      const challenge = await getJson("/challenge");
      const svg = new Blob([challenge.svg], { type: "image/svg+xml" });
      const img = $("challenge-qr");
      const old = img.src;
      img.src = URL.createObjectURL(svg);
      img.dataset.nonce = challenge.nonce;
      if (old.startsWith("blob:")) URL.revokeObjectURL(old);
      $("challenge").hidden = false;
    } catch (error) {
      $("challenge").hidden = true;
    }
  }

  // ------------------------------------------------------------------ start

  $("lang-toggle").addEventListener("click", () => setLang(body.dataset.lang === "ja" ? "en" : "ja"));

  async function start() {
    setLang("ja");
    renderCounts();
    focusScanner();
    try {
      config = await getJson("/config");
    } catch (error) {
      networkError();
      return;
    }
    setText("profile", "");
    const ja = document.createElement("span");
    ja.className = "ja";
    ja.textContent = config.profile.name_ja;
    const en = document.createElement("span");
    en.className = "en";
    en.textContent = config.profile.name_en;
    $("profile").append(ja, en);
    await refreshStatus();
    if (config.challenge) await refreshChallenge();
    setInterval(refreshStatus, STATUS_EVERY_MS);
    setInterval(() => { if (config.challenge && !showing) refreshChallenge(); }, STATUS_EVERY_MS);
    body.dataset.ready = "true";
  }

  start();
})();
