// MoveNet live demo: camera (getUserMedia) or a local video file -> JPEG frames over the
// /v1/stream WebSocket -> poses drawn over the video. Served by `movenet serve`; loads nothing
// from anywhere else, so it works offline.
//
// Up to MAX_IN_FLIGHT frames are in flight: a new video frame is captured and sent as soon as one
// of the slots is free, so the server never waits for a round trip and the page keeps up with the
// camera's rate whenever the server does. The server answers the frames of one stream in order
// (their timestamps drive smoothing and tracking), and each reply is drawn over its own captured
// frame, so the drawing is always in step with the picture. Controls marked data-option show only
// for models that take that option (the server's hello lists each model's options); with the
// person mask on (BlazePose), each reply carries a compact 8-bit PNG mask, drawn tinted on #mask. window.poseLog keeps the last
// POSE_LOG_SIZE replies with what was drawn for them (for tests, benchmarks and debugging).
'use strict';

(() => {
  // The COCO-17 skeleton, until the server names the model's own (hello/config messages carry it).
  const COCO_SKELETON = {
    edges: [[0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [5, 11], [6, 8], [6, 12], [7, 9], [8, 10],
      [11, 12], [11, 13], [12, 14], [13, 15], [14, 16]],
    left: [1, 3, 5, 7, 9, 11, 13, 15],
    right: [2, 4, 6, 8, 10, 12, 14, 16],
  };
  const TRACK_COLORS = ['#ff5a5f', '#3fb6ff', '#ffd166', '#06d6a0', '#c77dff', '#ff9f1c', '#f15bb5', '#9ef01a'];
  const POSE_LOG_SIZE = 300;
  const REPLY_TIMEOUT_MS = 10000;
  const JPEG_QUALITY = 0.85;
  // Two frames in flight hide the round trip (encode, network, decode) behind the server's work on
  // the previous frame; more would only add latency, since the server runs one frame at a time.
  const MAX_IN_FLIGHT = 2;
  // The person mask's tint: RGB, and the opacity of a pixel of probability 1.
  const MASK_TINT = [40, 200, 255];
  const MASK_OPACITY = 0.5;
  // The readouts (fps, latency, ...) change at most this often: every text change costs the page a
  // layout and a repaint, on the cores the server needs, and nobody reads numbers at 30 Hz.
  const READOUT_INTERVAL_MS = 250;

  const $ = (id) => document.getElementById(id);
  const ui = {
    stage: $('stage'), video: $('video'), overlay: $('overlay'), mask: $('mask'), source: $('source'), file: $('file'),
    fileLabel: $('file-label'), start: $('start'), stop: $('stop'), model: $('model'), smoothing: $('smoothing'),
    threshold: $('threshold'), thresholdValue: $('threshold-value'), poseThreshold: $('pose-threshold'),
    poseThresholdValue: $('pose-threshold-value'), sendSize: $('send-size'), mirror: $('mirror'),
    fps: $('fps'), latency: $('latency'), serverMs: $('server-ms'), modelReadout: $('model-readout'),
    poseCount: $('pose-count'), status: $('status'), segmentation: $('segmentation'), maxPoses: $('max-poses'),
  };

  const state = {
    running: false,
    ws: null,
    media: null, // MediaStream of the camera
    objectUrl: null, // blob: URL of a chosen video file
    nextId: 1,
    inflight: new Map(), // id -> {id, t0, width, height, canvas, timer}, in sending order
    capturing: false, // a frame is being captured and encoded (one at a time keeps them in order)
    lastFrameKey: null, // which video frame was captured last, so none is sent twice
    watchGeneration: 0,
    videoFrames: 0, // video frames presented so far (requestVideoFrameCallback), or null without it
    spareCanvases: [], // full-size canvases of frames whose replies were drawn, for reuse
    sendCanvas: document.createElement('canvas'), // the frame being sent, scaled down and JPEG-encoded
    skeleton: COCO_SKELETON,
    modelOptions: null, // model -> the config fields it takes (from the server's hello)
    drawChain: Promise.resolve(), // replies with a mask decode it first; drawing stays in order
    wantedModel: null, // a ?model= preset, applied once the server has listed its models
    replyTimes: [],
    latencyAvg: null,
    readoutAt: -Infinity, // when the readouts were last written
    maskShown: false, // whether #mask holds a tint (cleared only then)
    maskScratch: document.createElement('canvas'), // the mask at its own size, tinted, before scaling
    reconnectTimer: null,
    frames: 0,
  };
  window.poseLog = [];

  function setStatus(text, isError = false) {
    ui.status.textContent = text;
    ui.status.classList.toggle('error', isError);
  }

  function wsOpen() {
    return state.ws !== null && state.ws.readyState === WebSocket.OPEN;
  }

  function currentConfig() {
    return {
      type: 'config',
      model: ui.model.value,
      smoothing: ui.smoothing.checked,
      min_pose_score: Number(ui.poseThreshold.value),
      segmentation: ui.segmentation.checked,
      max_poses: ui.maxPoses.value === '' ? null : Number(ui.maxPoses.value),
    };
  }

  // Show the controls of the options the chosen model takes (all of them until the server says).
  function showModelControls() {
    const options = state.modelOptions && state.modelOptions[ui.model.value];
    for (const el of document.querySelectorAll('[data-option]')) {
      el.hidden = Array.isArray(options) && !options.includes(el.dataset.option);
    }
  }

  function sendConfig() {
    if (wsOpen()) state.ws.send(JSON.stringify(currentConfig()));
  }

  // The model list comes from the server (its registry); the page's own options are the fallback.
  function useModels(models, descriptions) {
    if (!Array.isArray(models) || !models.length) return;
    const have = [...ui.model.options].map((o) => o.value);
    if (have.join() === models.join()) return;
    const wanted = state.wantedModel || ui.model.value;
    const labels = Object.fromEntries([...ui.model.options].map((o) => [o.value, o.textContent]));
    ui.model.replaceChildren(...models.map((name) => {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = labels[name] || (descriptions && descriptions[name]) || name;
      return option;
    }));
    ui.model.value = models.includes(wanted) ? wanted : models[0];
  }

  function useSkeleton(skeleton) {
    if (skeleton && Array.isArray(skeleton.edges)) {
      state.skeleton = { edges: skeleton.edges, left: skeleton.left || [], right: skeleton.right || [] };
    }
  }

  // --- capture and send -------------------------------------------------------------------------

  // Which video frame is showing: the presented-frame count where the browser reports it, else the
  // media time (a paused or stalled video keeps its key, so its frame is not sent again).
  function frameKey(video) {
    return state.videoFrames !== null ? state.videoFrames : video.currentTime;
  }

  function watchVideoFrames() {
    const video = ui.video;
    if (typeof video.requestVideoFrameCallback !== 'function') {
      state.videoFrames = null;
      return;
    }
    const generation = ++state.watchGeneration; // a restart ends the previous callback chain
    const onFrame = (now, metadata) => {
      if (!state.running || generation !== state.watchGeneration) return;
      state.videoFrames = metadata.presentedFrames;
      pump();
      video.requestVideoFrameCallback(onFrame);
    };
    state.videoFrames = 0;
    video.requestVideoFrameCallback(onFrame);
  }

  function schedule(delay = 0) {
    setTimeout(pump, delay);
  }

  // Send the current video frame if a slot is free and it has not been sent yet.
  function pump() {
    if (!state.running || state.capturing || state.inflight.size >= MAX_IN_FLIGHT || !wsOpen()) return;
    const video = ui.video;
    if (video.readyState < 2 || !video.videoWidth || !video.videoHeight) {
      schedule(30);
      return;
    }
    const key = frameKey(video);
    if (key === state.lastFrameKey) {
      // Without frame callbacks nothing announces the next frame: look again shortly.
      if (state.videoFrames === null) schedule(10);
      return;
    }
    state.lastFrameKey = key;
    captureAndSend(video);
  }

  async function captureAndSend(video) {
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    const fc = state.spareCanvases.pop() || document.createElement('canvas');
    if (fc.width !== vw || fc.height !== vh) {
      fc.width = vw;
      fc.height = vh;
    }
    fc.getContext('2d').drawImage(video, 0, 0, vw, vh);
    const t0 = performance.now(); // the frame's timestamp: drives smoothing and tracking on the server
    const scale = Math.min(1, Number(ui.sendSize.value) / Math.max(vw, vh));
    const w = Math.max(1, Math.round(vw * scale));
    const h = Math.max(1, Math.round(vh * scale));
    const sc = state.sendCanvas;
    sc.width = w;
    sc.height = h;
    sc.getContext('2d').drawImage(fc, 0, 0, w, h);
    const id = state.nextId++;
    const ws = state.ws;
    state.capturing = true;
    let blob;
    try {
      blob = await new Promise((resolve) => sc.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
    } finally {
      state.capturing = false;
    }
    if (!blob || !state.running || state.ws !== ws || !wsOpen()) { // stopped or reconnected meanwhile
      state.spareCanvases.push(fc);
      schedule(30);
      return;
    }
    const frame = { id, t0, width: w, height: h, canvas: fc, timer: null };
    // Binary frame message: uint32 big-endian header length, JSON header, JPEG bytes.
    const header = new TextEncoder().encode(JSON.stringify({ id, timestamp_ms: t0 }));
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, header.length, false);
    frame.timer = setTimeout(() => {
      if (state.inflight.get(id) === frame) { // lost reply: carry on with the next frame
        release(frame);
        setStatus(`no reply for frame ${id}; continuing`, true);
        schedule();
      }
    }, REPLY_TIMEOUT_MS);
    state.inflight.set(id, frame);
    state.ws.send(new Blob([prefix, header, blob]));
    pump(); // the second slot: the next video frame goes out as soon as it is shown
  }

  function release(frame) {
    clearTimeout(frame.timer);
    state.inflight.delete(frame.id);
    if (state.spareCanvases.length < MAX_IN_FLIGHT + 1) state.spareCanvases.push(frame.canvas);
  }

  function releaseAll() {
    for (const frame of [...state.inflight.values()]) release(frame);
  }

  // --- replies ----------------------------------------------------------------------------------

  function onMessage(event) {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (err) {
      setStatus('unreadable message from the server', true);
      return;
    }
    if (msg.type === 'hello') {
      setStatus(`connected (server ${msg.version})`);
      useModels(msg.models, msg.model_descriptions);
      useSkeleton(msg.skeleton);
      if (msg.model_options) state.modelOptions = msg.model_options;
      showModelControls();
      sendConfig(); // processed before the first frame: the server answers in order
      schedule();
    } else if (msg.type === 'config') {
      ui.modelReadout.textContent = msg.config.model;
      useSkeleton(msg.skeleton);
    } else if (msg.type === 'poses') {
      onPoses(msg);
    } else if (msg.type === 'error') {
      setStatus(`server: ${msg.error}`, true);
      const frame = state.inflight.get(msg.id);
      if (frame !== undefined) {
        release(frame);
        schedule(100);
      }
    }
  }

  function onPoses(msg) {
    const frame = state.inflight.get(msg.id);
    if (frame === undefined) return; // a reply to a frame given up on
    // Replies come in sending order: an older frame still waiting was lost (it timed out meanwhile).
    for (const older of [...state.inflight.values()]) if (older.id < frame.id) release(older);
    const mask = msg.frame.poses.map((pose) => pose.segmentation).find(Boolean);
    // Decoding a mask's PNG is asynchronous: the drawing is chained so that replies stay in order.
    const maskImage = mask ? decodeMask(mask).catch((err) => {
      state.maskError = String(err); // drawn without its mask
      return null;
    }) : null;
    state.drawChain = state.drawChain
      .then(() => maskImage)
      .then((image) => finishReply(msg, frame, image))
      .catch((err) => setStatus(`cannot draw the reply: ${err.message || err}`, true));
  }

  async function decodeMask(compact) {
    const image = new Image();
    image.src = `data:image/png;base64,${compact.png_base64}`;
    await image.decode();
    return image;
  }

  function finishReply(msg, frame, maskImage) {
    if (state.inflight.get(frame.id) !== frame) return; // stopped, or given up on while its mask decoded
    const now = performance.now();
    const latency = now - frame.t0;
    const drawn = draw(frame.canvas, msg.frame);
    drawn.mask = drawMask(maskImage);
    // The overlay now shows each frame sent, under its poses: the <video> beneath it is covered,
    // so stop compositing it (a third of the browser's CPU on a 2-core machine, taken from the server).
    ui.stage.classList.add('drawn');
    release(frame);
    state.frames += 1;

    window.poseLog.push({
      id: msg.id,
      model: msg.model,
      smoothing: msg.smoothing,
      timestamp_ms: msg.timestamp_ms,
      latency_ms: latency,
      inference_ms: msg.inference_ms,
      received_at_ms: now,
      frame: msg.frame,
      drawn,
    });
    if (window.poseLog.length > POSE_LOG_SIZE) window.poseLog.splice(0, window.poseLog.length - POSE_LOG_SIZE);

    state.replyTimes.push(now);
    while (state.replyTimes.length > 2 && now - state.replyTimes[0] > 2000) state.replyTimes.shift();
    state.latencyAvg = state.latencyAvg === null ? latency : 0.9 * state.latencyAvg + 0.1 * latency;
    if (ui.modelReadout.textContent !== msg.model) ui.modelReadout.textContent = msg.model;
    if (now - state.readoutAt >= READOUT_INTERVAL_MS) {
      state.readoutAt = now;
      const n = state.replyTimes.length;
      if (n >= 2) ui.fps.textContent = (((n - 1) * 1000) / (state.replyTimes[n - 1] - state.replyTimes[0])).toFixed(1);
      ui.latency.textContent = `${latency.toFixed(0)} ms (avg ${state.latencyAvg.toFixed(0)})`;
      ui.serverMs.textContent = `${Number(msg.inference_ms).toFixed(1)} ms`;
      ui.poseCount.textContent = String(msg.frame.poses.length);
    }
    if (ui.status.classList.contains('error') || state.frames === 1) setStatus(`streaming ${msg.frame.width}x${msg.frame.height}`);
    pump();
  }

  // --- drawing ----------------------------------------------------------------------------------

  function draw(fc, frame) {
    const canvas = ui.overlay;
    if (canvas.width !== fc.width || canvas.height !== fc.height) {
      canvas.width = fc.width;
      canvas.height = fc.height;
    }
    const ctx = canvas.getContext('2d');
    ctx.drawImage(fc, 0, 0);
    const sx = canvas.width / frame.width;
    const sy = canvas.height / frame.height;
    const minScore = Number(ui.threshold.value);
    const lineWidth = Math.max(2, canvas.width / 200);
    const radius = Math.max(3, canvas.width / 110);
    const { edges } = state.skeleton;
    const left = new Set(state.skeleton.left);
    const right = new Set(state.skeleton.right);
    const poses = [];
    frame.poses.forEach((pose) => {
      const track = pose.id === null || pose.id === undefined ? null : TRACK_COLORS[pose.id % TRACK_COLORS.length];
      const points = pose.keypoints.map((k) => ({ name: k.name, x: k.x * sx, y: k.y * sy, score: k.score }));
      ctx.lineWidth = lineWidth;
      ctx.lineCap = 'round';
      for (const [a, b] of edges) {
        if (!points[a] || !points[b] || points[a].score < minScore || points[b].score < minScore) continue;
        ctx.strokeStyle = track || (left.has(a) && left.has(b) ? '#ffb03b' : right.has(a) && right.has(b) ? '#3fb6ff' : '#e8edf2');
        ctx.beginPath();
        ctx.moveTo(points[a].x, points[a].y);
        ctx.lineTo(points[b].x, points[b].y);
        ctx.stroke();
      }
      let box = null;
      if (pose.box) {
        box = { x_min: pose.box.x_min * sx, y_min: pose.box.y_min * sy, x_max: pose.box.x_max * sx, y_max: pose.box.y_max * sy };
        ctx.strokeStyle = track || '#e8edf2';
        ctx.lineWidth = Math.max(1, lineWidth / 2);
        ctx.strokeRect(box.x_min, box.y_min, box.x_max - box.x_min, box.y_max - box.y_min);
        if (pose.id !== null && pose.id !== undefined) {
          ctx.fillStyle = track;
          ctx.font = `${Math.round(radius * 4)}px system-ui, sans-serif`;
          ctx.fillText(`#${pose.id}`, box.x_min + radius, box.y_min + radius * 4.5);
        }
      }
      const visible = points.filter((k) => k.score >= minScore);
      for (const k of visible) {
        ctx.beginPath();
        ctx.arc(k.x, k.y, radius, 0, 2 * Math.PI);
        ctx.fillStyle = track || '#ffffff';
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = '#101418';
        ctx.stroke();
      }
      poses.push({ id: pose.id, score: pose.score, keypoints: visible, box });
    });
    return { scale: [sx, sy], min_score: minScore, canvas: [canvas.width, canvas.height], poses };
  }

  // The mask (8-bit grey, probability = value / 255) as a tint on #mask, sized like #overlay;
  // each pixel's opacity is its probability times MASK_OPACITY. Returns the mask size, or null.
  function drawMask(image) {
    const canvas = ui.mask;
    if (canvas.width !== ui.overlay.width || canvas.height !== ui.overlay.height) {
      canvas.width = ui.overlay.width;
      canvas.height = ui.overlay.height;
    }
    const ctx = canvas.getContext('2d');
    // An untouched layer costs the compositor nothing: clear it only when it holds a tint.
    if (state.maskShown) ctx.clearRect(0, 0, canvas.width, canvas.height);
    state.maskShown = Boolean(image);
    if (!image) return null;
    const small = state.maskScratch;
    small.width = image.naturalWidth; // (also clears it)
    small.height = image.naturalHeight;
    const sctx = small.getContext('2d', { willReadFrequently: true });
    sctx.drawImage(image, 0, 0);
    const pixels = sctx.getImageData(0, 0, small.width, small.height);
    const data = pixels.data;
    for (let i = 0; i < data.length; i += 4) {
      const probability = data[i] / 255;
      data[i] = MASK_TINT[0];
      data[i + 1] = MASK_TINT[1];
      data[i + 2] = MASK_TINT[2];
      data[i + 3] = Math.round(255 * MASK_OPACITY * probability);
    }
    sctx.putImageData(pixels, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    return { width: small.width, height: small.height };
  }

  function clearOverlay() {
    ui.stage.classList.remove('drawn');
    for (const canvas of [ui.overlay, ui.mask]) canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    state.maskShown = false;
  }

  // --- connection -------------------------------------------------------------------------------

  function connect() {
    clearTimeout(state.reconnectTimer);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/v1/stream`);
    state.ws = ws;
    setStatus('connecting…');
    ws.onmessage = onMessage;
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      releaseAll();
      if (state.running) {
        setStatus(`connection closed (${event.code}${event.reason ? ': ' + event.reason : ''}); reconnecting…`, true);
        state.reconnectTimer = setTimeout(connect, 1000);
      }
    };
  }

  // --- start / stop -----------------------------------------------------------------------------

  async function openSource() {
    const video = ui.video;
    if (ui.source.value === 'file') {
      const file = ui.file.files && ui.file.files[0];
      if (!file) throw new Error('choose a video file first');
      state.objectUrl = URL.createObjectURL(file);
      video.srcObject = null;
      video.src = state.objectUrl;
      video.loop = true;
    } else {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw new Error('this page has no camera access: browsers allow it on https or http://localhost '
          + '(open the page there, or choose a video file)');
      }
      state.media = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false,
      });
      video.removeAttribute('src');
      video.srcObject = state.media;
    }
    video.muted = true;
    await video.play();
  }

  function closeSource() {
    if (state.media) state.media.getTracks().forEach((t) => t.stop());
    state.media = null;
    ui.video.pause();
    ui.video.srcObject = null;
    ui.video.removeAttribute('src');
    if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
    state.objectUrl = null;
  }

  async function start() {
    if (state.running) return;
    ui.start.disabled = true;
    try {
      await openSource();
    } catch (err) {
      closeSource();
      ui.start.disabled = false;
      setStatus(`cannot start: ${err.message || err}`, true);
      return;
    }
    state.running = true;
    state.replyTimes = [];
    state.latencyAvg = null;
    state.lastFrameKey = null;
    watchVideoFrames();
    ui.video.dataset.active = '1';
    ui.stage.classList.add('running');
    ui.stop.disabled = false;
    connect();
  }

  function stop() {
    state.running = false;
    clearTimeout(state.reconnectTimer);
    releaseAll();
    if (state.ws) {
      const ws = state.ws;
      state.ws = null;
      ws.close(1000, 'stopped');
    }
    closeSource();
    clearOverlay();
    delete ui.video.dataset.active;
    ui.stage.classList.remove('running');
    ui.start.disabled = false;
    ui.stop.disabled = true;
    ui.fps.textContent = '–';
    setStatus('stopped');
  }

  // --- controls ---------------------------------------------------------------------------------

  ui.start.addEventListener('click', start);
  ui.stop.addEventListener('click', stop);
  ui.source.addEventListener('change', () => {
    ui.fileLabel.hidden = ui.source.value !== 'file';
    if (state.running) stop();
  });
  ui.file.addEventListener('change', () => {
    if (state.running) stop();
    if (ui.file.files && ui.file.files.length) start();
  });
  ui.model.addEventListener('change', () => {
    showModelControls();
    sendConfig();
  });
  ui.smoothing.addEventListener('change', sendConfig);
  ui.segmentation.addEventListener('change', sendConfig);
  ui.maxPoses.addEventListener('change', sendConfig);
  ui.poseThreshold.addEventListener('input', () => {
    ui.poseThresholdValue.textContent = Number(ui.poseThreshold.value).toFixed(2);
  });
  ui.poseThreshold.addEventListener('change', sendConfig);
  ui.threshold.addEventListener('input', () => {
    ui.thresholdValue.textContent = Number(ui.threshold.value).toFixed(2);
  });
  ui.mirror.addEventListener('change', () => ui.stage.classList.toggle('mirror', ui.mirror.checked));

  // URL parameters preset the controls: ?model=thunder&smoothing=0&autostart=1
  const params = new URLSearchParams(location.search);
  if (params.has('model')) {
    state.wantedModel = params.get('model');
    ui.model.value = state.wantedModel;
  }
  if (params.has('segmentation')) ui.segmentation.checked = ['1', 'true', 'on'].includes(params.get('segmentation'));
  if (params.has('smoothing')) ui.smoothing.checked = !['0', 'false', 'off'].includes(params.get('smoothing'));
  if (params.get('autostart') === '1') start();

  window.movenetDemo = { start, stop, state };
})();
