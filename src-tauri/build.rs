//! Build script: checks the UI was built, then runs `tauri-build` (config, ACL, icons).

use std::path::Path;

fn main() {
    // `generate_context!` embeds `../src-ui/dist` (tauri.conf.json `frontendDist`).
    let index = Path::new("../src-ui/dist/index.html");
    println!("cargo:rerun-if-changed=../src-ui/dist");
    if !index.exists() {
        panic!(
            "\n\n  src-ui/dist/index.html is missing: the UI is not built.\n  \
             Run `cargo xtask ui` first (or `cargo xtask run` / `cargo xtask test`).\n  \
             L'interface n'est pas construite : lancez d'abord `cargo xtask ui`.\n\n"
        );
    }
    tauri_build::build()
}
