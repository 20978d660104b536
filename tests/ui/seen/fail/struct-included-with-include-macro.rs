// `include!` pulls in a file the build helper never reads: its table would not be planned.
include!("../support/included.rs");

fn main() {}
