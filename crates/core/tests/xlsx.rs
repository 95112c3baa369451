//! Seasons read from Excel workbooks: the same season as from the CSV files
//! the workbook was made of, diagnostics that name the sheet and row, and
//! hostile files (not a zip, a zip bomb, sizes that lie) refused with a clear
//! error rather than a panic or exhausted memory.

use std::path::{Path, PathBuf};

use dualmatch_core::season::{self, LoadError, LoadOptions, Loaded, TableName};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet};

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/base");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");

/// A table as text: header and rows, as read from a CSV file.
#[derive(Clone)]
struct Table {
    name: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The tables of a CSV season directory, sheet names as the table names.
fn csv_tables(dir: &Path) -> Vec<Table> {
    let mut tables = Vec::new();
    for table in TableName::ALL {
        let path = dir.join(table.file_name());
        if !path.exists() {
            continue;
        }
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
        let mut records = rdr.records().map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>());
        let header =
            records.next().unwrap().into_iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
        tables.push(Table { name: table.as_str().to_string(), header, rows: records.collect() });
    }
    tables
}

/// Writes `tables` as a workbook, one sheet each, as a spreadsheet user would
/// have it: a value that reads as a number is a number cell (ids too), an
/// empty value an empty cell, anything else a text cell.
fn write_workbook(tables: &[Table], path: &Path) {
    write_workbook_with(tables, path, true, |_, _| {});
}

/// Like [`write_workbook`]; with `typed` false every value is a text cell
/// with spaces around it. `then` writes more cells into each sheet, by name.
fn write_workbook_with(tables: &[Table], path: &Path, typed: bool, then: impl Fn(&str, &mut Worksheet)) {
    let mut book = Workbook::new();
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&t.name).unwrap();
        for (c, h) in t.header.iter().enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match v.trim().parse::<f64>() {
                    _ if v.is_empty() => continue,
                    Ok(x) if typed && x.is_finite() => sheet.write_number(r, c, x).unwrap(),
                    _ if typed => sheet.write_string(r, c, v).unwrap(),
                    _ => sheet.write_string(r, c, format!("  {v} ")).unwrap(),
                };
            }
        }
        then(&t.name, sheet);
    }
    book.save(path).unwrap();
}

/// Writes `tables` as CSV files into `dir`.
fn write_csv_dir(tables: &[Table], dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for t in tables {
        let mut w = csv::Writer::from_path(dir.join(format!("{}.csv", t.name))).unwrap();
        w.write_record(&t.header).unwrap();
        for row in &t.rows {
            w.write_record(row).unwrap();
        }
        w.flush().unwrap();
    }
}

fn load_ok(path: &Path) -> Loaded {
    match season::load(path) {
        Ok(l) => l,
        Err(LoadError::Invalid(d)) => panic!("{}: {d}", path.display()),
        Err(e) => panic!("{e}"),
    }
}

fn load_err(path: &Path) -> LoadError {
    match season::load(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e,
    }
}

/// The diagnostics of a load that failed on its content.
fn invalid(path: &Path) -> String {
    match load_err(path) {
        LoadError::Invalid(d) => d.to_string(),
        e => panic!("expected diagnostics, got {e}"),
    }
}

/// The two seasons are the same, field by field, and so are the warnings
/// (apart from where they point, and how they name a table).
fn assert_same(a: &Loaded, b: &Loaded) {
    let (x, y) = (&a.season, &b.season);
    assert_eq!(x.programmes(), y.programmes());
    assert_eq!(x.schools(), y.schools());
    assert_eq!(x.learners(), y.learners());
    assert_eq!(x.workplaces(), y.workplaces());
    assert_eq!(x.groups(), y.groups());
    assert_eq!(x.tags(), y.tags());
    assert_eq!(x.priority_groups(), y.priority_groups());
    assert_eq!(x.candidates(), y.candidates());
    let label = |m: &str| {
        TableName::ALL.iter().fold(m.to_string(), |m, t| m.replace(&format!("sheet '{}'", t.as_str()), &t.file_name()))
    };
    let messages = |l: &Loaded| l.warnings.iter().map(|d| (d.field.clone(), label(&d.message))).collect::<Vec<_>>();
    assert_eq!(messages(a), messages(b));
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The workbook of a CSV season directory, and both loads compared.
fn roundtrip(tables: &[Table]) -> Loaded {
    let dir = scratch();
    write_csv_dir(tables, &dir.path().join("csv"));
    let book = dir.path().join("season.xlsx");
    write_workbook(tables, &book);
    let (from_csv, from_xlsx) = (load_ok(&dir.path().join("csv")), load_ok(&book));
    assert_same(&from_csv, &from_xlsx);
    from_xlsx
}

#[test]
fn the_base_season_reads_the_same_from_a_workbook() {
    let tables = csv_tables(Path::new(BASE));
    let loaded = roundtrip(&tables);
    assert_eq!(loaded.season.learners().len(), tables.iter().find(|t| t.name == "learners").unwrap().rows.len());
    // The base season as given (with its byte-order mark) equals the workbook too.
    let dir = scratch();
    write_workbook(&tables, &dir.path().join("s.xlsx"));
    assert_same(&load_ok(Path::new(BASE)), &load_ok(&dir.path().join("s.xlsx")));
}

#[test]
fn the_sample_season_reads_the_same_from_a_workbook() {
    let loaded = roundtrip(&csv_tables(Path::new(SAMPLE)));
    assert_eq!(loaded.season.learners().len(), 1500);
}

/// The sample season with every id a number (`L000001` → `1000001`, `P13` →
/// `413`), as in an export from another system; the workbook holds them as
/// number cells, which Excel stores as `1000001.0`.
#[test]
fn ids_stored_as_numbers_read_as_the_ids() {
    let numeric = |item: &str| -> String {
        let mut chars = item.chars();
        let digit = match chars.next() {
            Some('L') => '1',
            Some('W') => '2',
            Some('S') => '3',
            Some('P') => '4',
            _ => return item.to_string(),
        };
        let rest = chars.as_str();
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            format!("{digit}{rest}")
        } else {
            item.to_string()
        }
    };
    let mut tables = csv_tables(Path::new(SAMPLE));
    for t in &mut tables {
        for row in &mut t.rows {
            for v in row.iter_mut() {
                *v = v.split(';').map(numeric).collect::<Vec<_>>().join(";");
            }
        }
    }
    let loaded = roundtrip(&tables);
    let s = &loaded.season;
    assert!(s.learner_by_id("1000001").is_some());
    assert!(s.workplace_by_id("2000001").is_some());
    assert!(s.programme_by_id("401").is_some());
    assert!(s.school_by_id("301").is_some());
}

/// A small season as tables of text, to change one cell at a time.
fn base_tables() -> Vec<Table> {
    csv_tables(Path::new(BASE))
}

fn table<'a>(tables: &'a mut [Table], name: &str) -> &'a mut Table {
    tables.iter_mut().find(|t| t.name == name).unwrap()
}

#[test]
fn sheet_names_may_carry_csv_and_any_case() {
    let mut tables = base_tables();
    table(&mut tables, "learners").name = "Learners.CSV".into();
    table(&mut tables, "workplaces").name = "WORKPLACES".into();
    let dir = scratch();
    let book = dir.path().join("s.xlsx");
    write_workbook(&tables, &book);
    assert_same(&load_ok(Path::new(BASE)), &load_ok(&book));
}

#[test]
fn a_wrong_value_names_the_workbook_sheet_and_row() {
    let mut tables = base_tables();
    table(&mut tables, "learners").rows[1][6] = "high".into();
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook(&tables, &book);
    let out = invalid(&book);
    let expected = format!(
        "error: {}: sheet 'learners' row 3: readiness: \"high\" is not a number; give readiness",
        book.display()
    );
    assert!(out.lines().any(|l| l == expected), "{out}");
    // The same message as from the CSV file, but for where it is.
    write_csv_dir(&tables, &dir.path().join("csv"));
    let csv = invalid(&dir.path().join("csv"));
    assert!(csv.contains("learners.csv:3: readiness: \"high\" is not a number; give readiness"), "{csv}");
}

#[test]
fn rows_are_numbered_as_the_spreadsheet_shows_them() {
    // Two blank rows above the header, a blank row inside the data.
    let mut tables = base_tables();
    let learners = table(&mut tables, "learners");
    let width = learners.header.len();
    let header = std::mem::replace(&mut learners.header, vec![String::new(); width]);
    learners.rows.insert(0, vec![String::new(); width]);
    learners.rows.insert(1, header);
    learners.rows.insert(3, vec![String::new(); width]);
    learners.rows[4][1] = "S-NOWHERE".into();
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook(&tables, &book);
    let out = invalid(&book);
    assert!(
        out.contains("sheet 'learners' row 6: school: unknown school \"S-NOWHERE\": no such id in sheet 'schools'"),
        "{out}"
    );
}

/// Programme names as a boolean, a date and a number; a learner's latitude
/// as a date (when `bad_date`); seats from a formula; other cells as text
/// with spaces around it.
fn write_kinds_of_cells(tables: &[Table], path: &Path, bad_date: bool) {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    write_workbook_with(tables, path, false, |name, sheet| {
        match name {
            "programmes" => {
                sheet.write_boolean(1, 1, true).unwrap();
                let day = ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
                sheet.write_datetime_with_format(2, 1, &day, &date).unwrap();
                sheet.write_number(3, 1, 12.5).unwrap();
            }
            // The seats of the first recognition: a formula with its result.
            "recognitions" => {
                sheet.write_formula(1, 2, Formula::new("=1+1").set_result("2")).unwrap();
            }
            "learners" if bad_date => {
                let day = ExcelDateTime::from_ymd(1999, 12, 31).unwrap();
                sheet.write_datetime_with_format(1, 3, &day, &date).unwrap();
            }
            _ => {}
        };
    });
}

#[test]
fn numbers_text_booleans_dates_and_formulas_read_as_their_text() {
    let dir = scratch();
    let tables = base_tables();
    let book = dir.path().join("season.xlsx");
    write_kinds_of_cells(&tables, &book, true);
    let out = invalid(&book);
    assert!(
        out.contains("sheet 'learners' row 2: lat: \"1999-12-31\" is not a number; give a latitude"),
        "a date reads as its date: {out}"
    );
    assert_eq!(out.matches("error:").count(), 1, "{out}");
    // Without the date, the season loads: texts are trimmed, the boolean,
    // date and number are the programme names as shown.
    write_kinds_of_cells(&tables, &book, false);
    let s = load_ok(&book).season;
    let names: Vec<&str> = s.programmes().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["TRUE", "2024-03-15", "12.5"]);
    let csv = load_ok(Path::new(BASE)).season;
    assert_eq!(s.learners(), csv.learners());
    assert_eq!(s.groups(), csv.groups());
}

#[test]
fn a_missing_sheet_is_named_with_the_sheets_found() {
    let mut tables = base_tables();
    tables.retain(|t| t.name != "schools");
    tables.push(Table { name: "Notes".into(), header: vec!["anything".into()], rows: vec![] });
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook(&tables, &book);
    let out = invalid(&book);
    let expected = format!(
        "error: {}: has no sheet 'schools'; a season workbook needs one sheet per table \
         (programmes, schools, learners, workplaces, recognitions and optionally candidates, outcomes and mentors); \
         sheets found: 'programmes', 'learners', 'workplaces', 'recognitions', 'Notes'",
        book.display()
    );
    assert!(out.lines().any(|l| l == expected), "{out}");
    // References to the missing table are not errors too (the warnings: the
    // extra sheet, and the base season's site without a recognition).
    assert!(out.ends_with("1 error, 2 warnings"), "{out}");
}

#[test]
fn an_extra_sheet_is_a_warning() {
    let mut tables = base_tables();
    tables.push(Table { name: "Notes".into(), header: vec!["anything".into()], rows: vec![vec!["x".into()]] });
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook(&tables, &book);
    let loaded = load_ok(&book);
    let warnings = loaded.warnings.to_string();
    assert!(warnings.contains("sheet 'Notes' is not a season table and is ignored"), "{warnings}");
    assert_eq!(loaded.season.learners(), load_ok(Path::new(BASE)).season.learners());
}

#[test]
fn two_sheets_for_one_table_are_an_error() {
    let mut tables = base_tables();
    let mut copy = table(&mut tables, "learners").clone();
    copy.name = "Learners.csv".into();
    tables.push(copy);
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook(&tables, &book);
    let out = invalid(&book);
    assert!(out.contains("sheets 'learners' and 'Learners.csv' both hold the learners table"), "{out}");
}

#[test]
fn a_candidates_sheet_is_read_and_candidates_option_stays_csv() {
    let mut tables = base_tables();
    tables.push(Table {
        name: "candidates".into(),
        header: ["learner", "workplace", "programme", "score"].map(String::from).to_vec(),
        rows: vec![["L01", "W-GENT1", "P-KOK", "50"].map(String::from).to_vec()],
    });
    let loaded = roundtrip(&tables);
    assert_eq!(loaded.season.candidates().map(<[_]>::len), Some(1));
    // --candidates FILE is a CSV file, also beside a workbook.
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook(&tables[..5], &book);
    let file = dir.path().join("mine.csv");
    std::fs::write(&file, "learner,workplace,programme,score\nL01,W-GENT1,P-KOK,40\nL02,W-GENT1,P-KOK,30\n").unwrap();
    let opts = LoadOptions { candidates: Some(file), travel_times: None };
    let loaded = season::load_with(&book, &opts).unwrap();
    assert_eq!(loaded.season.candidates().map(<[_]>::len), Some(2));
}

#[test]
fn a_cell_far_out_does_not_make_a_grid() {
    // A value in the last cell of the sheet (XFD1048576): read cell by cell,
    // never as a 17-billion-cell grid; it is outside the header's columns.
    let dir = scratch();
    let book = dir.path().join("season.xlsx");
    write_workbook_with(&base_tables(), &book, true, |name, sheet| {
        if name == "learners" {
            sheet.write_string(1_048_575, 16_383, "far").unwrap();
        }
    });
    assert_same(&load_ok(Path::new(BASE)), &load_ok(&book));
}

#[test]
fn a_file_that_is_not_a_workbook_is_refused() {
    let dir = scratch();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let cases: [(&str, &[u8], &str); 4] = [
        ("random.xlsx", &random, "not a valid Excel workbook (.xlsx): not a zip archive"),
        ("empty.xlsx", b"", "not a valid Excel workbook (.xlsx): not a zip archive"),
        ("truncated.dat", b"PK\x03\x04\x14\x00\x00\x00", "not a valid Excel workbook (.xlsx): not a zip archive"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0", "an older or password-protected Office file"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = load_err(&path);
        assert!(matches!(err, LoadError::NotASeason { .. }), "{name}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(expected), "{name}: {msg}");
        assert!(msg.contains("CSV files"), "says what to do instead: {msg}");
    }
    // A zip that is not a workbook.
    let path = dir.path().join("other.xlsx");
    std::fs::write(&path, raw_zip(&[RawEntry::stored("readme.txt", b"hello")])).unwrap();
    let msg = load_err(&path).to_string();
    assert!(msg.contains("not a readable Excel workbook (.xlsx)"), "{msg}");
}

#[test]
fn a_workbook_is_recognised_by_its_first_bytes() {
    let dir = scratch();
    let book = dir.path().join("season");
    write_workbook(&base_tables(), &book);
    assert_same(&load_ok(Path::new(BASE)), &load_ok(&book));
}

#[test]
fn a_malformed_cell_reference_is_an_error_not_a_panic() {
    let dir = scratch();
    let good = dir.path().join("good.xlsx");
    write_workbook(&base_tables(), &good);
    // Rewrite the first sheet (programmes) with a reference past any row.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&good).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if e.name() == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(data).unwrap();
            assert!(text.contains("r=\"A1\""), "{text}");
            data = text.replace("r=\"A1\"", "r=\"A99999999999\"").into_bytes();
        }
        entries.push((e.name().to_string(), data));
    }
    let bad = dir.path().join("bad.xlsx");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&bad).unwrap());
    for (name, data) in entries {
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut w, &data).unwrap();
    }
    w.finish().unwrap();
    // calamine overflows on the row number: a panic with overflow checks
    // (as in tests), a wrong row without; an error either way.
    let err = load_err(&bad);
    if cfg!(debug_assertions) {
        assert!(matches!(err, LoadError::NotASeason { .. }), "{err}");
        assert!(err.to_string().contains("the reader failed on malformed content"), "{err}");
    }
}

// ---------------------------------------------------------------------------
// Zip bombs, made by hand so that the test is fast: a deflate stream of N
// zero bytes (one literal, then copies of 258 bytes at distance 1, 13 bits
// each with the fixed Huffman code) and a zip archive around it whose
// directory states any size.
// ---------------------------------------------------------------------------

/// Writes bits least significant first, as deflate does.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: written most significant bit first.
    fn code(&mut self, code: u64, len: u32) {
        self.put(reversed(code, len), len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn reversed(code: u64, len: u32) -> u64 {
    (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)))
}

/// A raw deflate stream of 1 + 258·`copies` zero bytes, and that size.
fn deflate_zeros(copies: u64) -> (Vec<u8>, u64) {
    let mut b = Bits::default();
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman codes
    b.code(0b0011_0000, 8); // literal 0
                            // Length 258 (code 285, 8 bits) then distance 1 (code 0, 5 zero bits).
    let copy = reversed(0b1100_0101, 8);
    for _ in 0..copies {
        b.put(copy, 13);
    }
    b.code(0, 7); // end of block
    (b.finish(), 1 + 258 * copies)
}

/// One entry of a hand-made zip archive.
struct RawEntry {
    name: String,
    method: u16,
    data: Vec<u8>,
    crc: u32,
    declared: u32,
}

impl RawEntry {
    fn stored(name: &str, data: &[u8]) -> RawEntry {
        RawEntry { name: name.into(), method: 0, data: data.to_vec(), crc: crc32(data), declared: data.len() as u32 }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A zip archive of `entries`, each declaring its `declared` unpacked size.
fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend(0u16.to_le_bytes()); // flags
            v.extend(e.method.to_le_bytes());
            v.extend(0u32.to_le_bytes()); // time and date
            v.extend(e.crc.to_le_bytes());
            v.extend((e.data.len() as u32).to_le_bytes());
            v.extend(e.declared.to_le_bytes());
            v.extend((e.name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra field length
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend(e.name.as_bytes());
        out.extend(&e.data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend([0u8; 10]); // comment length, disk, internal and external attributes
        central.extend(offset.to_le_bytes());
        central.extend(e.name.as_bytes());
    }
    let (start, size) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Two GiB of zeros, deflated (13 MiB).
fn two_gib_of_zeros() -> &'static (Vec<u8>, u64) {
    static BOMB: std::sync::OnceLock<(Vec<u8>, u64)> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| deflate_zeros((2u64 << 30) / 258))
}

fn write_zip(dir: &Path, name: &str, entries: &[RawEntry]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, raw_zip(entries)).unwrap();
    path
}

fn too_large(path: &Path) -> String {
    match load_err(path) {
        e @ LoadError::TooLarge { .. } => e.to_string(),
        e => panic!("expected too large, got {e}"),
    }
}

#[test]
fn the_deflate_helper_makes_what_it_says() {
    let (data, n) = deflate_zeros(1000);
    let entry = RawEntry { name: "z".into(), method: 8, crc: crc32(&vec![0; n as usize]), declared: n as u32, data };
    let bytes = raw_zip(&[entry]);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_index(0).unwrap(), &mut out).unwrap();
    assert_eq!(out, vec![0; 258_001]);
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    let dir = scratch();
    let (data, n) = two_gib_of_zeros();
    assert!(*n > 2_000_000_000 && data.len() < 14 << 20);
    let bomb =
        RawEntry { name: "xl/sharedStrings.xml".into(), method: 8, data: data.clone(), crc: 0, declared: *n as u32 };
    let path = write_zip(dir.path(), "bomb.xlsx", &[RawEntry::stored("[Content_Types].xml", b"<Types/>"), bomb]);
    let msg = too_large(&path);
    assert!(
        msg.contains(&format!(
            "entry \"xl/sharedStrings.xml\" of the workbook unpacks to {n} bytes, more than the 1073741824-byte limit"
        )),
        "{msg}"
    );
    assert!(msg.contains("use a CSV") || msg.contains("CSV files"), "{msg}");
}

#[test]
fn a_zip_bomb_that_understates_its_size_is_refused_after_a_few_bytes() {
    let dir = scratch();
    let (data, _) = two_gib_of_zeros();
    let bomb = RawEntry { name: "xl/sharedStrings.xml".into(), method: 8, data: data.clone(), crc: 0, declared: 1000 };
    let path = write_zip(dir.path(), "liar.xlsx", &[bomb]);
    let started = std::time::Instant::now();
    let msg = too_large(&path);
    assert!(
        msg.contains("entry \"xl/sharedStrings.xml\" of the workbook unpacks to more than the 1000 bytes it declares"),
        "{msg}"
    );
    assert!(started.elapsed().as_secs() < 2, "it was not unpacked: {:?}", started.elapsed());
}

#[test]
fn an_entry_that_packs_too_well_is_refused() {
    // 4 MiB of zeros deflate to 4 KiB: a ratio no sheet has (they pack 5 to 15 times).
    let dir = scratch();
    let path = dir.path().join("dense.xlsx");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    w.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut w, &vec![0u8; 4 << 20]).unwrap();
    w.finish().unwrap();
    let msg = too_large(&path);
    assert!(msg.contains("entry \"xl/worksheets/sheet1.xml\" of the workbook unpacks"), "{msg}");
    assert!(msg.contains("times its packed size") && msg.contains("more than the 200-fold limit"), "{msg}");
}
