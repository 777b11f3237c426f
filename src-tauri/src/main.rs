//! screenpop-desktop: the Tauri shell. Placeholder member until the desktop issue lands;
//! the core (`screenpop` crate) runs headless with `screenpop run`.

fn main() {
    eprintln!("screenpop-desktop is not built yet; run `screenpop run` for the headless daemon");
    std::process::exit(2);
}
