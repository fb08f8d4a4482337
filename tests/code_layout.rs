//! The release binary's code layout (link/README.md): the functions link/symbol-order.txt
//! lists come first, so that the code relinks runs at start-up and under load sits together
//! and the kernel maps a few megabytes of it, not blocks from all over the binary.

use crate::common;

use std::collections::HashMap;
use std::process::Command;

/// Function symbols of the binary (`nm`), by name: their addresses.
fn function_addresses(binary: &std::path::Path) -> HashMap<String, u64> {
    let out = Command::new("nm")
        .arg("--defined-only")
        .arg(binary)
        .output()
        .expect("nm (binutils) runs");
    assert!(out.status.success(), "nm failed on {}", binary.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (address, kind, name) = (parts.next()?, parts.next()?, parts.next()?);
            if !matches!(kind, "t" | "T" | "w" | "W") {
                return None;
            }
            Some((name.to_owned(), u64::from_str_radix(address, 16).ok()?))
        })
        .collect()
}

#[test]
fn the_release_binary_puts_the_recorded_functions_first() {
    if !common::testing_release_binary() {
        eprintln!("the layout is the release build's (RELINKS_TEST_BINARY): nothing to check");
        return;
    }
    let order = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("link/symbol-order.txt"),
    )
    .expect("link/symbol-order.txt");
    let addresses = function_addresses(&common::relinks_binary());
    let listed: Vec<u64> = order
        .lines()
        .filter_map(|name| addresses.get(name).copied())
        .collect();
    // Most of the list names functions of this very build (the list is recorded again after
    // large changes; a renamed function merely drops out).
    assert!(
        listed.len() * 2 > order.lines().count(),
        "{} of the {} listed functions are in the binary: record the list again (`sudo link/record`)",
        listed.len(),
        order.lines().count()
    );
    // Laid out in the list's order: each after the one before (or at the same address: the
    // compiler gives identical functions one body under several names).
    let in_order = listed.windows(2).filter(|pair| pair[0] <= pair[1]).count();
    assert!(
        in_order * 100 >= (listed.len() - 1) * 99,
        "only {in_order} of {} listed functions follow the one before",
        listed.len()
    );
    // And first: below (almost all of) them lie only listed functions. In the compiler's own
    // layout, the listed ones are scattered among three times as many others. (`_init` and
    // `_fini`, listed, live in sections of their own after the code: the last few are left out.)
    let mut sorted = listed;
    sorted.sort_unstable();
    sorted.dedup();
    let end = sorted[sorted.len() * 999 / 1000];
    let listed_below = sorted.iter().filter(|&&at| at <= end).count();
    let all: std::collections::HashSet<u64> = addresses.values().copied().collect();
    let below = all.iter().filter(|&&at| at <= end).count();
    assert!(
        below * 100 <= listed_below * 101,
        "{below} functions lie below the {listed_below} listed ones"
    );
}
