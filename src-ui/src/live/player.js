// The live player. Where the webview has WebRTC (Android's Chromium WebView, iOS's
// WKWebView) it asks the relay by WHEP: one RTCPeerConnection, H.264 as the body-cam sent
// it, the browser's own low-latency playout. Elsewhere (WebKitGTK has no WebRTC) it
// takes the relay's WebSocket (one fragmented-MP4 fragment per frame, the init segment
// first) into Media Source Extensions — ManagedMediaSource where it exists (iOS ≥ 17.1,
// WebKitGTK), MediaSource otherwise; that measured ~100 ms glass to glass there
// (../shared/TOOLCHAIN.md).
//
// It keeps within ~150 ms of the newest frame, says « flux interrompu » after 2 s
// without a frame, reconnects by itself with backoff (250 ms doubling to 4 s, a new
// one-use ticket from the shell each time) and rebuilds its MediaSource then (the
// relay's timestamps restart). Each fragment's `prft` box (WHEP: the frame's
// abs-capture-time, as the browser reports it) says when its frame was captured: the
// player shows that time, in Europe/Paris, over the picture.
//
// The Rust side (live.rs) starts and stops it and shows its state; tickets come from
// the shell's `live_ticket` command.

const LIVE_EDGE_S = 0.03; // where to sit behind the newest frame (less than one frame)
const MAX_BEHIND_S = 0.15; // beyond, jump to the live edge
const STALL_MS = 2000; // no frame for this long: « flux interrompu »
const DEAD_SOCKET_MS = 4000; // an open socket silent this long is redone
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 4000;
const NTP_UNIX_OFFSET_S = 2208988800;

let player = null;

const clock = new Intl.DateTimeFormat("fr-FR", {
  timeZone: "Europe/Paris",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 1,
});

// Plays stream `streamId` in a <video id="live-video"> it puts in #live-screen (a new one
// for each connection: WebKit's media pipeline does not take a second MediaSource
// reliably), its time in #live-time;
// `onState(state, detail)` on each change: connecting, live, interrupted, reconnecting,
// ended (detail: why), error.
export function startPlayer(streamId, onState) {
  stopPlayer();
  // The UI may draw the screen in the same turn: wait for it.
  if (!document.getElementById("live-screen")) {
    const tries = (startPlayer.tries = (startPlayer.tries || 0) + 1);
    if (tries < 60) requestAnimationFrame(() => startPlayer(streamId, onState));
    else onState("error", "no #live-screen");
    return;
  }
  startPlayer.tries = 0;
  const p = {
    streamId,
    onState,
    screen: document.getElementById("live-screen"),
    video: null,
    time: document.getElementById("live-time"),
    stopped: false,
    retryMs: RETRY_FIRST_MS,
    state: "",
    ws: null,
    pc: null,
    whepSession: null,
    connectedAt: 0,
    source: null,
    url: null,
    sb: null,
    init: null,
    queue: [],
    stamps: [],
    lastFrameAt: 0,
    stats: {
      frames: 0,
      reconnects: 0,
      startedAt: performance.now(),
      firstFrameMs: null, // the first fragment received
      firstShownMs: null, // the first frame on screen
      shownCaptureMs: null,
      mediaErrors: 0,
      via: null, // "whep" or "websocket"
    },
  };
  player = p;
  p.watchdog = setInterval(() => watchdog(p), 100);
  const paint = () => {
    if (p.stopped) return;
    showTime(p);
    p.frame = requestAnimationFrame(paint);
  };
  p.frame = requestAnimationFrame(paint);
  // For the end-to-end test and the benchmark (WebDriver scripts run in the page).
  window.vigieLive = { stats: () => ({ ...p.stats, state: p.state }) };
  connect(p);
}

export function stopPlayer() {
  const p = player;
  if (!p) return;
  player = null;
  p.stopped = true;
  clearInterval(p.watchdog);
  clearTimeout(p.retryTimer);
  cancelAnimationFrame(p.frame);
  if (p.ws) p.ws.close();
  closePeer(p);
  if (p.video) p.video.remove();
  if (p.url) URL.revokeObjectURL(p.url);
}

function setState(p, state, detail) {
  if (p.state === state) return;
  p.state = state;
  p.onState(state, detail || "");
}

async function connect(p) {
  setState(p, p.stats.frames ? "reconnecting" : "connecting");
  let ticket;
  try {
    ticket = await window.__TAURI__.core.invoke("live_ticket", { id: p.streamId });
  } catch (e) {
    if (p.stopped) return;
    // Refused (no longer granted, relay ended): nothing to retry.
    if (e && (e.code === "forbidden" || e.code === "conflict" || e.code === "not_found")) {
      setState(p, "ended", e.message);
      return;
    }
    retry(p);
    return;
  }
  if (p.stopped) return;
  if (window.RTCPeerConnection && ticket.whep) {
    connectWhep(p, ticket);
    return;
  }
  p.stats.via = "websocket";
  let ws;
  try {
    resetMedia(p);
    ws = new WebSocket(ticket.url);
  } catch (e) {
    // A refused address (the page's security policy) or no media support.
    setState(p, "error", e.message);
    return;
  }
  ws.binaryType = "arraybuffer";
  p.ws = ws;
  p.connectedAt = performance.now();
  ws.onmessage = (e) => {
    if (p.ws === ws) onData(p, new Uint8Array(e.data));
  };
  ws.onclose = (e) => {
    if (p.ws !== ws || p.stopped) return;
    p.ws = null;
    if (e.code === 4403) setState(p, "ended", e.reason);
    else retry(p);
  };
}

// WHEP (non-trickle: the relay is ICE-lite and names its one address in the answer).
async function connectWhep(p, ticket) {
  p.stats.via = "whep";
  closePeer(p);
  const video = newVideo(p);
  let pc;
  try {
    pc = new RTCPeerConnection();
    const tr = pc.addTransceiver("video", { direction: "recvonly" });
    // The relay passes H.264 through: offer nothing else.
    const caps = RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities("video");
    if (caps && tr.setCodecPreferences) {
      const h264 = caps.codecs.filter((c) => /h264|rtx/i.test(c.mimeType));
      if (h264.length) tr.setCodecPreferences(h264);
    }
    // Play as soon as decoded: a live view wants the newest frame, not a smooth one.
    if ("jitterBufferTarget" in tr.receiver) tr.receiver.jitterBufferTarget = 0;
    else tr.receiver.playoutDelayHint = 0;
    pc.ontrack = (e) => {
      if (p.pc !== pc) return;
      video.srcObject = e.streams[0] || new MediaStream([e.track]);
      video.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (p.pc !== pc || p.stopped) return;
      if (["failed", "closed", "disconnected"].includes(pc.connectionState)) redo(p);
    };
    p.pc = pc;
    p.connectedAt = performance.now();
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(ticket.whep, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${ticket.token}` },
      body: pc.localDescription.sdp,
    });
    if (p.pc !== pc || p.stopped) return;
    if (r.status === 403) {
      const e = await r.json().catch(() => ({}));
      closePeer(p);
      setState(p, "ended", e.message || "");
      return;
    }
    if (r.status !== 201) throw new Error(`WHEP ${r.status}: ${await r.text()}`);
    p.whepSession = new URL(r.headers.get("Location"), ticket.whep).href;
    p.whepToken = ticket.token;
    await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
  } catch (e) {
    if (p.pc !== pc || p.stopped) return;
    console.warn("live: WHEP", e);
    redo(p);
    return;
  }
  // Each frame presented: the link is alive, and its capture time is what is shown.
  const onFrame = (_now, meta) => {
    if (p.video !== video || p.stopped) return;
    p.lastFrameAt = performance.now();
    p.retryMs = RETRY_FIRST_MS;
    p.stats.frames += 1;
    if (p.stats.firstFrameMs === null) p.stats.firstFrameMs = performance.now() - p.stats.startedAt;
    if (p.stats.firstShownMs === null) p.stats.firstShownMs = p.stats.firstFrameMs;
    // captureTime is on the page's clock (performance.now()); without it, the arrival.
    const at = meta && (meta.captureTime || meta.receiveTime);
    if (at) p.whepCaptureMs = Math.round(performance.timeOrigin + at);
    video.requestVideoFrameCallback(onFrame);
  };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);
  else video.addEventListener("timeupdate", () => onFrame(0, null));
}

function closePeer(p) {
  if (p.pc) {
    p.pc.close();
    p.pc = null;
  }
  if (p.whepSession) {
    // Tell the relay at once rather than let ICE time out (best effort).
    fetch(p.whepSession, { method: "DELETE", headers: { Authorization: `Bearer ${p.whepToken}` } }).catch(() => {});
    p.whepSession = null;
  }
}

function retry(p) {
  p.stats.reconnects += 1;
  if (p.state !== "interrupted") setState(p, "reconnecting");
  const wait = p.retryMs;
  p.retryMs = Math.min(wait * 2, RETRY_MAX_MS);
  p.retryTimer = setTimeout(() => connect(p), wait);
}

// A new <video> for each connection (WebKit's media pipeline does not take a second
// MediaSource reliably).
function newVideo(p) {
  if (p.url) URL.revokeObjectURL(p.url);
  p.url = null;
  if (p.video) p.video.remove();
  const video = document.createElement("video");
  video.id = "live-video";
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  p.screen.prepend(video);
  p.video = video;
  Object.assign(p, { whepCaptureMs: null, stamps: [] });
  return video;
}

// A new video and MediaSource for each connection: after a restart the relay's times
// start again.
function resetMedia(p) {
  const video = newVideo(p);
  const Source = window.ManagedMediaSource || window.MediaSource;
  const source = new Source();
  Object.assign(p, { source, sb: null, init: null, queue: [], stamps: [], open: false });
  if (window.ManagedMediaSource) p.video.disableRemotePlayback = true;
  p.url = URL.createObjectURL(source);
  // A media error (WebKit: « Failed to push buffer ») is healed like a lost link: a new
  // video, MediaSource and socket.
  video.addEventListener("error", () => {
    if (p.video !== video || p.stopped) return;
    p.stats.mediaErrors = (p.stats.mediaErrors || 0) + 1;
    redo(p);
  });
  p.video.src = p.url;
  source.addEventListener("sourceopen", () => {
    if (p.source !== source) return;
    p.open = true;
    pump(p);
  });
}

function onData(p, bytes) {
  if (!p.init) {
    p.init = bytes;
    p.codec = codecOf(bytes);
    pump(p);
    return;
  }
  const prft = readPrft(bytes);
  if (prft) {
    p.stamps.push(prft);
    if (p.stamps.length > 600) p.stamps.splice(0, 100);
    bytes = bytes.subarray(prft.size); // MSE wants moof + mdat only
  }
  p.queue.push(bytes);
  p.lastFrameAt = performance.now();
  p.retryMs = RETRY_FIRST_MS;
  p.stats.frames += 1;
  if (p.stats.firstFrameMs === null) p.stats.firstFrameMs = performance.now() - p.stats.startedAt;
  pump(p);
}

function pump(p) {
  if (!p.open || !p.init) return;
  if (!p.sb) {
    try {
      p.sb = p.source.addSourceBuffer(`video/mp4; codecs="${p.codec}"`);
    } catch (e) {
      setState(p, "error", `${p.codec}: ${e.message}`);
      return;
    }
    p.sb.mode = "segments";
    p.sb.addEventListener("updateend", () => {
      keepLive(p);
      pump(p);
    });
    p.sb.appendBuffer(p.init);
    return;
  }
  if (p.sb.updating || p.queue.length === 0) return;
  const chunk = concat(p.queue);
  p.queue = [];
  try {
    p.sb.appendBuffer(chunk);
  } catch (e) {
    // Full (QuotaExceededError): what was queued is dropped, the next keyframe heals it.
    trim(p, 1);
  }
}

function keepLive(p) {
  const v = p.video;
  if (!v) return;
  const b = v.buffered;
  if (!b.length) return;
  const start = b.start(b.length - 1);
  const end = b.end(b.length - 1);
  if (v.currentTime < start || end - v.currentTime > MAX_BEHIND_S) v.currentTime = Math.max(start, end - LIVE_EDGE_S);
  if (v.paused) v.play().catch(() => {});
  trim(p, 20);
}

// Drops what is more than `keepS` seconds behind the playhead.
function trim(p, keepS) {
  const v = p.video;
  if (!v) return;
  const b = v.buffered;
  if (p.sb && !p.sb.updating && b.length && v.currentTime - b.start(0) > keepS + 5) {
    p.sb.remove(b.start(0), v.currentTime - keepS);
  }
}

// Drops the socket or the peer connection and starts again (with a new ticket and video).
function redo(p) {
  if (p.ws) {
    const ws = p.ws;
    p.ws = null;
    ws.close();
  } else if (p.pc) {
    closePeer(p);
  } else {
    return;
  }
  retry(p);
}

function watchdog(p) {
  if (p.state === "ended" || p.state === "error") return;
  const now = performance.now();
  const quiet = now - p.lastFrameAt;
  // A socket still open that carries nothing (a half-dead link, or a first frame that
  // never comes) is dropped and redone.
  if ((p.ws || p.pc) && now - Math.max(p.lastFrameAt, p.connectedAt) > DEAD_SOCKET_MS) redo(p);
  const playing = p.pc ? p.video && p.video.srcObject : p.video && p.video.buffered.length;
  if (p.lastFrameAt && quiet > STALL_MS) {
    setState(p, "interrupted");
  } else if (p.lastFrameAt && quiet < STALL_MS && playing) {
    setState(p, "live");
  }
  if (!p.pc) keepLive(p);
}

// The capture time of the frame on screen, over the picture.
function showTime(p) {
  if (!p.video) return;
  const t = p.video.currentTime;
  let shown = p.pc ? p.whepCaptureMs : null;
  for (let i = p.stamps.length - 1; i >= 0; i--) {
    if (p.stamps[i].decodeS <= t + 0.001) {
      shown = p.stamps[i].captureMs;
      break;
    }
  }
  if (shown === null || shown === p.stats.shownCaptureMs) return;
  if (p.stats.firstShownMs === null) p.stats.firstShownMs = performance.now() - p.stats.startedAt;
  p.stats.shownCaptureMs = shown;
  if (p.time) p.time.textContent = clock.format(new Date(shown));
}

// `avc1.PPCCLL` from the init segment's avcC box.
function codecOf(init) {
  const i = find(init, [0x61, 0x76, 0x63, 0x43]); // "avcC"
  if (i < 0) return "avc1.42e01e";
  const hex = (b) => b.toString(16).padStart(2, "0");
  return `avc1.${hex(init[i + 5])}${hex(init[i + 6])}${hex(init[i + 7])}`;
}

// {captureMs, decodeS, size} from a leading prft box (version 1), or null.
function readPrft(b) {
  if (b.length < 32 || b[4] !== 0x70 || b[5] !== 0x72 || b[6] !== 0x66 || b[7] !== 0x74 || b[8] !== 1) return null;
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = d.getUint32(0);
  const secs = d.getUint32(16) - NTP_UNIX_OFFSET_S;
  const frac = d.getUint32(20);
  const mediaTime = Number(d.getBigUint64(24));
  return { captureMs: secs * 1000 + Math.round((frac * 1000) / 4294967296), decodeS: mediaTime / 90000, size };
}

function find(b, needle) {
  outer: for (let i = 0; i + needle.length <= b.length; i++) {
    for (let j = 0; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
