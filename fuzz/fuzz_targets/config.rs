#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kafi_fuzz::config(data));
