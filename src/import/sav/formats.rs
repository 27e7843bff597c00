//! SPSS print formats: their names (for the report) and which of them hold dates, times
//! and datetimes, stored as seconds since the start of the Gregorian calendar.

use crate::import::Temporal;

/// Seconds from SPSS's epoch, 1582-10-14 00:00, to 1970-01-01 00:00 (141,428 days).
pub const EPOCH_TO_UNIX: f64 = 141_428.0 * 86_400.0;

/// Names of the format types (PSPP, "System File Format": variable record, print format).
fn type_name(t: i32) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "AHEX",
        3 => "COMMA",
        4 => "DOLLAR",
        5 => "F",
        6 => "IB",
        7 => "PIBHEX",
        8 => "P",
        9 => "PIB",
        10 => "PK",
        11 => "RB",
        12 => "RBHEX",
        15 => "Z",
        16 => "N",
        17 => "E",
        20 => "DATE",
        21 => "TIME",
        22 => "DATETIME",
        23 => "ADATE",
        24 => "JDATE",
        25 => "DTIME",
        26 => "WKDAY",
        27 => "MONTH",
        28 => "MOYR",
        29 => "QYR",
        30 => "WKYR",
        31 => "PCT",
        32 => "DOT",
        33 => "CCA",
        34 => "CCB",
        35 => "CCC",
        36 => "CCD",
        37 => "CCE",
        38 => "EDATE",
        39 => "SDATE",
        40 => "MTIME",
        41 => "YMDHMS",
        _ => return None,
    })
}

/// The format as SPSS writes it ("F8.2", "A20", "DATE11"), or `None` when the type is not
/// one SPSS defines (the format only matters for the report and for dates).
pub fn name(format: i32) -> Option<String> {
    let t = (format >> 16) & 0xff;
    let width = (format >> 8) & 0xff;
    let decimals = format & 0xff;
    let name = type_name(t)?;
    // Number formats always show their decimals (F8.0); strings, dates and times only
    // when they have some (A20, DATE11, TIME11.2), as SPSS writes them.
    let plain = matches!(t, 1 | 2 | 16 | 20..=30 | 38..=41);
    Some(if decimals > 0 || !plain {
        format!("{name}{width}.{decimals}")
    } else {
        format!("{name}{width}")
    })
}

/// The polars type a numeric variable of this format becomes. WKDAY and MONTH are a day
/// or month number, not a point in time, so they stay numbers.
pub fn temporal(format: i32) -> Option<Temporal> {
    match (format >> 16) & 0xff {
        20 | 23 | 24 | 28 | 29 | 30 | 38 | 39 => Some(Temporal::Date),
        22 | 41 => Some(Temporal::Datetime),
        21 | 25 | 40 => Some(Temporal::Duration),
        _ => None,
    }
}
