// The migrations are embedded at compile time (sqlx::migrate!): a new or changed migration
// file must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    pack_relative_relocations();
    order_functions();
}

/// Whether the binary is linked by Rust's own LLD (the default for this target, built here for
/// here), which both link options below need, and the option named by `opt_out` is not set.
fn lld_option_wanted(opt_out: &str) -> bool {
    println!("cargo:rerun-if-env-changed={opt_out}");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    target == "x86_64-unknown-linux-gnu" && target == host && std::env::var_os(opt_out).is_none()
}

/// The release binary's functions are laid out in the order of link/symbol-order.txt: those
/// that run at start-up first, then those the benchmark's load runs, then the rest as the
/// compiler left them. The kernel maps a program's code in blocks of 64 KB around each page it
/// runs: spread over the whole binary, the code of start-up kept 13 MB of relinks' 20 MB idle
/// memory; gathered, it takes a few. Written by `link/record` (see link/README.md); a
/// function since renamed or new simply keeps the compiler's place. Release builds only: a
/// debug build's symbols are named differently, and nobody measures its memory.
fn order_functions() {
    if !lld_option_wanted("RELINKS_NO_SYMBOL_ORDER")
        || std::env::var("PROFILE").unwrap_or_default() != "release"
    {
        return;
    }
    let order = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("link/symbol-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    if order.exists() {
        println!(
            "cargo:rustc-link-arg-bin=relinks=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bin=relinks=-Wl,--no-warn-symbol-ordering");
    }
}

/// A position-independent executable carries one relocation record (24 bytes) for each pointer
/// in its read-only data, and the loader reads them all at start: 1.2 MB of relinks' resident
/// memory, for ever. Packed (DT_RELR) they take 14 KB. Only where the build's own glibc can
/// load such a binary (2.36 and later; the binary is run where it is built, or on a newer
/// glibc) and the linker is Rust's own LLD (the default for this target), which packs them.
fn pack_relative_relocations() {
    if !lld_option_wanted("RELINKS_NO_PACKED_RELOCATIONS") {
        return;
    }
    let glibc = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok());
    // "glibc 2.36"
    let version = glibc
        .as_deref()
        .and_then(|text| text.trim().strip_prefix("glibc "))
        .and_then(|v| {
            let mut parts = v.split('.').map(|n| n.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        });
    if matches!(version, Some(v) if v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
