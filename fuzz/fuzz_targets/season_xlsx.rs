//! Fuzzes loading a season from an Excel workbook. The first byte picks how
//! the rest is read: odd, as the workbook file itself (the zip archive and
//! its limits); even, as the XML parts of a workbook that is then packed into
//! a valid archive ([`dualmatch_fuzz::workbook_from_parts`]), so that
//! mutations reach the XML scanner, calamine and the sheet reader instead of
//! failing a zip checksum.
#![no_main]

use dualmatch_core::season;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let result = if mode & 1 == 1 {
        season::from_xlsx_bytes(rest, "fuzz.xlsx")
    } else {
        season::from_xlsx_bytes(&dualmatch_fuzz::workbook_from_parts(rest), "fuzz.xlsx")
    };
    dualmatch_fuzz::check_load(&result);
});
