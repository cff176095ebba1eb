//! Fuzz the csv decoder: any bytes give batches or an error, never a panic; the same bytes
//! arriving in three pieces (split where the input's first bytes say) give the same batches or
//! the same error; what decodes also loads into a data set and answers a query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = apiary::ingest::csv::read("fuzz", data);
    let at = |i: usize| data.get(i).map_or(0, |&b| data.len() * b as usize / 256);
    let (a, b) = (at(0).min(at(1)), at(0).max(at(1)));
    let mut s = apiary::ingest::csv::Stream::new("fuzz");
    let pieces = s.push(&data[..a]).and_then(|()| s.push(&data[a..b])).and_then(|()| s.push(&data[b..])).and_then(|()| s.finish());
    match (&whole, &pieces) {
        (Ok(x), Ok(y)) => assert!(x == y, "pieces at {a}, {b} decode differently"),
        (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string(), "pieces at {a}, {b}"),
        _ => panic!("pieces at {a}, {b}: {:?} vs {:?}", whole.as_ref().map(|_| ()), pieces.as_ref().map(|_| ())),
    }
    if let Ok(batches) = whole {
        apiary::fuzz_support::exercise(batches);
    }
});
