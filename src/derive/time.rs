//! Time for formulas: RFC 3339 text to unix seconds (UNIX_TIMESTAMP) and unix seconds to text
//! with strftime directives (FORMAT_TIME), in UTC.

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

/// `2024-05-01T12:30:00Z`, `2024-05-01T12:30:00.25+02:00`, `2024-05-01 12:30:00` (UTC) or a
/// date alone → unix seconds; `None` for anything else.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit()))?.parse().ok() };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) as f64 * 86_400.0;
    if b.len() == 10 {
        return Some(secs);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    secs += (h * 3600 + mi * 60 + se) as f64;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        secs += format!("0.{}", &frac[..digits]).parse::<f64>().ok()?;
        rest = &frac[digits..];
    }
    match rest {
        "" | "Z" | "z" => Some(secs),
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let (zh, zm): (i64, i64) = (z[1..3].parse().ok()?, z[4..6].parse().ok()?);
            let off = (zh * 3600 + zm * 60) as f64;
            Some(if z.starts_with('+') { secs - off } else { secs + off })
        }
        _ => None,
    }
}

const DAYS: [&str; 7] = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// `secs` (unix seconds, UTC) written by strftime `fmt`: %Y %C %y %m %d %e %j %H %I %M %S %p %L
/// (milliseconds) %f (microseconds) %a %A %b %B %h %u %w %F %T %D %R %s %z %Z %n %t %%; an
/// unknown directive is written as it is.
pub fn format(fmt: &str, secs: f64, out: &mut String) {
    use std::fmt::Write;
    let whole = secs.floor() as i64;
    let micros = ((secs - secs.floor()) * 1e6).round().min(999_999.0) as i64;
    let days = whole.div_euclid(86_400);
    let sod = whole.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    let wd = days.rem_euclid(7) as usize;
    let doy = days - days_from_civil(y, 1, 1) + 1;
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let _ = match chars.next() {
            Some('Y') => write!(out, "{y}"),
            Some('C') => write!(out, "{:02}", y.div_euclid(100)),
            Some('y') => write!(out, "{:02}", y.rem_euclid(100)),
            Some('m') => write!(out, "{m:02}"),
            Some('d') => write!(out, "{d:02}"),
            Some('e') => write!(out, "{d:2}"),
            Some('j') => write!(out, "{doy:03}"),
            Some('H') => write!(out, "{h:02}"),
            Some('I') => write!(out, "{:02}", if h % 12 == 0 { 12 } else { h % 12 }),
            Some('M') => write!(out, "{mi:02}"),
            Some('S') => write!(out, "{s:02}"),
            Some('p') => write!(out, "{}", if h < 12 { "AM" } else { "PM" }),
            Some('L') => write!(out, "{:03}", micros / 1000),
            Some('f') => write!(out, "{micros:06}"),
            Some('a') => write!(out, "{}", &DAYS[wd][..3]),
            Some('A') => write!(out, "{}", DAYS[wd]),
            Some('b') | Some('h') => write!(out, "{}", &MONTHS[(m - 1) as usize][..3]),
            Some('B') => write!(out, "{}", MONTHS[(m - 1) as usize]),
            Some('u') => write!(out, "{}", (wd + 3) % 7 + 1),
            Some('w') => write!(out, "{}", (wd + 4) % 7),
            Some('F') => write!(out, "{y}-{m:02}-{d:02}"),
            Some('T') => write!(out, "{h:02}:{mi:02}:{s:02}"),
            Some('D') => write!(out, "{m:02}/{d:02}/{:02}", y.rem_euclid(100)),
            Some('R') => write!(out, "{h:02}:{mi:02}"),
            Some('s') => write!(out, "{whole}"),
            Some('z') => write!(out, "+0000"),
            Some('Z') => write!(out, "UTC"),
            Some('n') => write!(out, "\n"),
            Some('t') => write!(out, "\t"),
            Some('%') => write!(out, "%"),
            Some(o) => write!(out, "%{o}"),
            None => write!(out, "%"),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339("2024-02-29T12:30:15.5Z"), Some(1_709_209_815.5));
        assert_eq!(parse_rfc3339("2024-02-29T14:30:15+02:00"), Some(1_709_209_815.0));
        assert_eq!(parse_rfc3339("2024-02-29 12:30:15"), Some(1_709_209_815.0));
        assert_eq!(parse_rfc3339("2024-02-29"), Some(1_709_164_800.0));
        for bad in ["", "yesterday", "2024-13-01", "2024-02-29T25:00:00Z", "2024-02-29T12:30:15+2"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        let mut s = String::new();
        format("%Y-%m-%dT%H:%M:%S.%L %a %b %j %p %I %u %w %s %%", 1_709_209_815.25, &mut s);
        assert_eq!(s, "2024-02-29T12:30:15.250 Thu Feb 060 PM 12 4 4 1709209815 %");
        s.clear();
        format("%F %T %A %B", -86_400.0, &mut s);
        assert_eq!(s, "1969-12-31 00:00:00 Wednesday December");
    }
}
