//! Any bytes as a hash list, under each name the reader tells formats by:
//! a list or an error naming the line, never a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 5] = ["list.tsv", "list.csv", "list.json", "list.txt", "list"];

fuzz_target!(|input: &[u8]| {
    let Some((first, bytes)) = input.split_first() else {
        return;
    };
    let name = NAMES[usize::from(*first) % NAMES.len()];
    let options = hashwatch_exchange::ReadOptions::default();
    let _ = hashwatch_exchange::read_bytes(std::path::Path::new(name), bytes.to_vec(), &options);
});
