"""TF-exact image kernels (the TF.js wasm backend's float32 arithmetic), no model knowledge."""
