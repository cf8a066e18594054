//! Entry point of the wasm module: mounts the UI on `<body>` (see `vigie_ui::start`).

fn main() {
    vigie_ui::start();
}
