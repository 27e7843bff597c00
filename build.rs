//! With the `python` feature the crate is built as an extension module that does not link
//! libpython (PYO3_BUILD_EXTENSION_MODULE=1, exported by the Makefile). The Rust test
//! binaries share those compiled dependencies but run outside Python, so only they link it.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_PYTHON").is_none() {
        return;
    }
    write_link("");
    let python = env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let query = "import sysconfig as s; print(s.get_config_var('LIBDIR')); print(s.get_config_var('LDVERSION'))";
    let Ok(out) = Command::new(&python).args(["-c", query]).output() else {
        println!(
            "cargo:warning=cannot run {python}; Rust tests with feature `python` will not link"
        );
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    if let (Some(libdir), Some(version)) = (lines.next(), lines.next()) {
        println!("cargo:rustc-link-arg-tests=-L{libdir}");
        println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{libdir}");
        println!("cargo:rustc-link-arg-tests=-lpython{version}");
        // The unit tests inside src/ are the library's own test binary, which the `-tests`
        // arguments do not reach: src/lib.rs includes this `#[link]` under cfg(test), so
        // only that binary links libpython (the extension module still does not). A search
        // path alone links nothing into the extension. The test binary finds libpython at
        // run time through LD_LIBRARY_PATH (the Makefile's test-rust sets it).
        println!("cargo:rustc-link-search=native={libdir}");
        write_link(&format!(
            "#[link(name = \"python{version}\")]\nextern \"C\" {{}}\n"
        ));
    }
}

/// The `#[link]` item src/lib.rs includes in its unit tests (empty when Python was not
/// found: those tests then fail to link, as before, and say why above).
fn write_link(item: &str) {
    if let Some(dir) = env::var_os("OUT_DIR") {
        let path = std::path::Path::new(&dir).join("python_link.rs");
        if std::fs::write(&path, item).is_err() {
            println!("cargo:warning=cannot write {}", path.display());
        }
    }
}
