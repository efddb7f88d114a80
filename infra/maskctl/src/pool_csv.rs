//! The pool CSV of `maskctl pool import`, checked whole: every row's number, identifiers and
//! missing fields, and numbers repeated within the file. Pure (bytes in, entries or every problem
//! out), so the fuzz targets and their corpus replay in `make test` run exactly this.

use std::collections::HashMap;
use std::fmt;

use maskline::domain::number::DefaultCountry;
use maskline::domain::pool::PoolEntry;
use maskline::domain::VirtualNumber;

use crate::entry::{parse_entry, RawEntry};

pub const COLUMNS: [&str; 4] = ["number", "region", "operator", "provider"];

/// A problem found in the file, at its line (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Where each needed column sits in the header.
struct Columns([usize; 4]);

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Self, String> {
        let names: Vec<String> = header
            .iter()
            .enumerate()
            // A spreadsheet's UTF-8 byte-order mark would otherwise hide the first column.
            .map(|(i, h)| {
                if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                }
            })
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let found = COLUMNS.map(|c| names.iter().position(|n| n == c));
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(&found)
            .filter(|(_, at)| at.is_none())
            .map(|(c, _)| *c)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "header lacks column(s) {} (expected {})",
                missing.join(", "),
                COLUMNS.join(",")
            ));
        }
        Ok(Columns(found.map(|at| at.unwrap_or_default())))
    }

    fn read<'r>(&self, record: &'r csv::StringRecord) -> Result<RawEntry<'r>, String> {
        let fields = self.0.map(|at| record.get(at));
        if let [Some(number), Some(region), Some(operator), Some(provider)] = fields {
            return Ok(RawEntry {
                number,
                region,
                operator,
                provider,
            });
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(fields)
            .filter(|(_, f)| f.is_none())
            .map(|(c, _)| *c)
            .collect();
        Err(format!(
            "missing {} (the row has {} field(s))",
            missing.join(", "),
            record.len()
        ))
    }
}

/// Line numbers as an editor shows them. The csv crate's own go wrong after blank lines and with
/// CRLF endings (its position can sit on the previous line's terminator), so lines are counted
/// here from the byte offset, past any line breaks, to where the record really starts.
struct Lines<'a> {
    input: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(input: &'a [u8]) -> Self {
        Lines {
            input,
            counted_to: 0,
            line: 1,
        }
    }

    fn at(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return self.line;
        };
        let mut start =
            usize::try_from(position.byte()).map_or(self.input.len(), |b| b.min(self.input.len()));
        while matches!(self.input.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.counted_to {
            // Records come in order, so this never happens; recount rather than be wrong.
            *self = Lines::new(self.input);
        }
        let breaks = self.input[self.counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.line += breaks as u64;
        self.counted_to = start;
        self.line
    }
}

/// Checks every row of a pool CSV: numbers, identifiers, missing fields, and numbers repeated
/// within the file (compared in canonical form, so `+1 415 555 0100` repeats `+14155550100`).
pub fn validate(
    input: &[u8],
    default_country: Option<DefaultCountry>,
) -> Result<Vec<PoolEntry>, Vec<RowError>> {
    let mut lines = Lines::new(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return Err(vec![RowError {
                line: 1,
                reason: format!(
                    "the file is empty (expected the header {})",
                    COLUMNS.join(",")
                ),
            }])
        }
        Some(Err(e)) => return Err(vec![csv_error(&e, &mut lines)]),
        Some(Ok(header)) => header,
    };
    let header_line = lines.at(header.position());
    let columns = Columns::find(&header).map_err(|reason| {
        vec![RowError {
            line: header_line,
            reason,
        }]
    })?;

    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut first_seen: HashMap<VirtualNumber, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(csv_error(&e, &mut lines));
                continue;
            }
        };
        let line = lines.at(record.position());
        let entry = columns
            .read(&record)
            .and_then(|raw| parse_entry(raw, default_country).map_err(|e| e.to_string()));
        match entry {
            Err(reason) => errors.push(RowError { line, reason }),
            Ok(entry) => match first_seen.get(&entry.vn) {
                Some(first) => errors.push(RowError {
                    line,
                    reason: format!("number {} is already on line {first}", entry.vn),
                }),
                None => {
                    first_seen.insert(entry.vn.clone(), line);
                    entries.push(entry);
                }
            },
        }
    }
    if entries.is_empty() && errors.is_empty() {
        errors.push(RowError {
            line: header_line,
            reason: "no rows after the header".into(),
        });
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Reading the bytes already succeeded, so what is left is malformed text (such as bad UTF-8).
fn csv_error(e: &csv::Error, lines: &mut Lines<'_>) -> RowError {
    RowError {
        line: lines.at(e.position()),
        reason: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
            _ => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "number,region,operator,provider\n";

    fn check(body: &str) -> Result<Vec<PoolEntry>, Vec<RowError>> {
        validate(format!("{HEADER}{body}").as_bytes(), None)
    }

    fn lines(errors: &[RowError]) -> Vec<u64> {
        errors.iter().map(|e| e.line).collect()
    }

    #[test]
    fn good_rows_become_entries_in_file_order() {
        let entries = check(
            "+14155550100,sfo,att,twilio\n\
             +918041000001,BLR,Airtel,static\n",
        )
        .unwrap();
        let vns: Vec<&str> = entries.iter().map(|e| e.vn.as_str()).collect();
        assert_eq!(vns, ["+14155550100", "+918041000001"]);
        assert_eq!(entries[1].region.as_str(), "blr");
        assert_eq!(entries[1].provider.as_str(), "static");
    }

    #[test]
    fn columns_may_come_in_any_order_and_national_numbers_use_the_default_country() {
        let csv = "region,provider,number,operator\nblr,static,08041000001,jio\n";
        let india = Some("IN".parse().unwrap());
        let entries = validate(csv.as_bytes(), india).unwrap();
        assert_eq!(entries[0].vn.as_str(), "+918041000001");
        assert_eq!(entries[0].operator.as_str(), "jio");
    }

    #[test]
    fn a_bad_number_is_reported_at_its_line() {
        let errors = check(
            "+14155550100,sfo,att,static\n\
             +1415555,sfo,att,static\n",
        )
        .unwrap_err();
        assert_eq!(lines(&errors), [3]);
        assert!(errors[0].reason.contains("phone number"), "{}", errors[0]);
        assert!(errors[0].to_string().starts_with("line 3: "));
    }

    #[test]
    fn a_bad_region_is_reported() {
        let errors = check("+14155550100,s#fo,att,static\n").unwrap_err();
        assert_eq!(lines(&errors), [2]);
        assert!(errors[0].reason.contains("region"), "{}", errors[0]);
    }

    #[test]
    fn a_missing_column_in_a_row_is_reported() {
        let errors = check("+14155550100,sfo,att\n").unwrap_err();
        assert_eq!(lines(&errors), [2]);
        assert_eq!(
            errors[0].reason,
            "missing provider (the row has 3 field(s))"
        );
    }

    #[test]
    fn a_header_without_a_column_is_reported_at_line_one() {
        let errors = validate(b"number,region,operator\n+14155550100,sfo,att\n", None).unwrap_err();
        assert_eq!(lines(&errors), [1]);
        assert!(errors[0].reason.contains("provider"), "{}", errors[0]);
    }

    #[test]
    fn a_repeated_number_points_at_its_first_line() {
        let errors = check(
            "+14155550100,sfo,att,static\n\
             +14155550101,sfo,att,static\n\
             +1 415 555 0100,sfo,att,static\n",
        )
        .unwrap_err();
        assert_eq!(lines(&errors), [4]);
        assert_eq!(errors[0].reason, "number +14155550100 is already on line 2");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_own_line() {
        let errors = check(
            "+14155550100,sfo,att,static\n\
             not-a-number,sfo,att,static\n\
             \n\
             +14155550102,,att,static\n\
             +14155550103,sfo,att,static\n\
             \"+14155550104\",sfo,att\n",
        )
        .unwrap_err();
        // The blank line 4 is skipped but still counted.
        assert_eq!(lines(&errors), [3, 5, 7]);
    }

    #[test]
    fn line_numbers_survive_crlf_blank_lines_and_multi_line_fields() {
        let csv = "\r\nnumber,region,operator,provider\r\n\
                   +14155550100,sfo,att,static\r\n\
                   \r\n\
                   \r\n\
                   bad,sfo,att,static\r\n\
                   +14155550101,\"s\r\nfo\",att,static\r\n\
                   +14155550102,sfo,,static\r\n";
        let errors = validate(csv.as_bytes(), None).unwrap_err();
        assert_eq!(lines(&errors), [6, 7, 9]);
    }

    #[test]
    fn a_header_after_blank_lines_is_reported_at_its_own_line() {
        let errors = validate(b"\n\nnumber,region\n", None).unwrap_err();
        assert_eq!(lines(&errors), [3]);
    }

    #[test]
    fn an_empty_file_or_a_lone_header_is_an_error() {
        let empty = validate(b"", None).unwrap_err();
        assert_eq!(lines(&empty), [1]);
        assert!(empty[0].reason.contains("empty"));
        let header_only = check("").unwrap_err();
        assert_eq!(
            header_only[0].to_string(),
            "line 1: no rows after the header"
        );
    }

    #[test]
    fn a_byte_order_mark_and_spaces_in_the_header_are_tolerated() {
        let csv = "\u{feff}number, region ,operator,provider\n+14155550100,sfo,att,static\n";
        assert_eq!(validate(csv.as_bytes(), None).unwrap().len(), 1);
    }

    #[test]
    fn invalid_utf8_is_reported_at_its_line() {
        let mut csv = format!("{HEADER}+14155550100,sfo,att,static\n").into_bytes();
        csv.extend_from_slice(b"+14155550101,sf\xff,att,static\n");
        let errors = validate(&csv, None).unwrap_err();
        assert_eq!(errors[0].to_string(), "line 3: not valid UTF-8");
    }
}
