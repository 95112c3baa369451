//! Fuzzes loading a season from an Excel workbook. The first byte picks how
//! the rest is read: odd, as the workbook file itself (the zip archive and
//! its limits); even, as the XML parts of a workbook that is then packed into
//! a valid archive ([`dualmatch_fuzz::workbook_from_parts`]), so that
//! mutations reach the XML scanner, calamine and the sheet reader instead of
//! failing a zip checksum.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dualmatch_fuzz::targets::season_xlsx(data));
