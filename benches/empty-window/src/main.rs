//! An empty Tauri window: the baseline screenpop-desktop's memory is measured against.
fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("empty window: {e}");
        std::process::exit(1);
    }
}
