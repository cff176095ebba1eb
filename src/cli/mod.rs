//! Command-line interface: `apiary demo | inspect | query`.

mod bench;
mod clickhouse;
mod output;

use std::path::PathBuf;

use apiary::dataset::SampleRate;
use apiary::{ingest, query, DataSet, QuerySpec};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "apiary", version, about = "Observability analytics over Arrow: the engine of the Apiary page, on files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
    Table,
}

#[derive(Clone, Copy, ValueEnum)]
enum HeatmapScale {
    Linear,
    Log,
}

/// A ClickHouse table to query instead of files (credentials: APIARY_CLICKHOUSE_USER and
/// APIARY_CLICKHOUSE_KEY).
#[derive(clap::Args)]
struct Store {
    /// ClickHouse's HTTP endpoint, e.g. http://127.0.0.1:8123.
    #[arg(long)]
    backend: Option<String>,
    #[arg(long, default_value = "default")]
    database: String,
    /// The table (e.g. otel_traces).
    #[arg(long, requires = "backend")]
    table: Option<String>,
}

impl Store {
    fn backend(&self) -> Result<Option<apiary::backend::Backend>, String> {
        match (&self.backend, &self.table) {
            (None, _) => Ok(None),
            (Some(_), None) => Err("--backend needs --table".into()),
            (Some(url), Some(t)) => Ok(Some(clickhouse::backend(url, &self.database, t))),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Write the deterministic demo data set (one row per span): an Arrow IPC stream, or the same
    /// rows as Parquet (snappy) or NDJSON (for load benchmarks of those formats).
    Demo {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// Buffer compression of the Arrow IPC stream: lz4 (smaller) or none (what every Arrow
        /// reader accepts, e.g. DuckDB-Wasm in the benchmark).
        #[arg(long, default_value = "lz4", value_parser = ["lz4", "none"])]
        compression: String,
        /// File format: arrow (an Arrow IPC stream), parquet (snappy) or ndjson.
        #[arg(long, default_value = "arrow", value_parser = ["arrow", "parquet", "ndjson"])]
        format: String,
    },
    /// Print each file's format, row count, schema, time column and time range (or, with
    /// --backend, the ClickHouse table's columns as Apiary sees them).
    Inspect {
        #[arg(required_unless_present = "backend")]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: Store,
    },
    /// Run a Honeycomb query spec over the files (loaded together as one data set), or push it
    /// down to a ClickHouse table (--backend).
    Query {
        #[arg(required_unless_present = "backend")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        store: Store,
        /// Query spec JSON, inline or @path.
        #[arg(long)]
        spec: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Sample-rate column, or `none` to turn weighting off (default: auto-detect).
        #[arg(long)]
        sample_rate: Option<String>,
        /// HEATMAP's value axis: equal-width buckets, or equal ratios for latency-like columns.
        #[arg(long, value_enum, default_value_t = HeatmapScale::Linear)]
        heatmap_scale: HeatmapScale,
    },
    /// BubbleUp: which columns and values set the selected events apart from the rest (with
    /// --backend, ClickHouse tallies the columns).
    Bubbleup {
        #[arg(required_unless_present = "backend")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        store: Store,
        /// The query (time range, filters) as JSON, inline or @path.
        #[arg(long)]
        spec: String,
        /// The selection: {"start_time":…, "end_time":…, "filters":[…]}, inline or @path.
        #[arg(long)]
        selection: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Sample-rate column, or `none` to turn weighting off (default: auto-detect).
        #[arg(long)]
        sample_rate: Option<String>,
        /// Compare only these columns (comma-separated; default: every column).
        #[arg(long, value_delimiter = ',')]
        columns: Option<Vec<String>>,
    },
    /// An SLO over the files' events: compliance, error budget, burn-down, daily history, burn
    /// rates and which burn alerts fire, as of the data's latest event (or --at), as JSON.
    Slo {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The SLO JSON, inline or @path: {"name", "sli", "target_percentage", "time_period_days", "burn_alerts"?}.
        #[arg(long)]
        slo: String,
        /// As of this time: epoch seconds or RFC 3339 (default: just after the latest event).
        #[arg(long)]
        at: Option<String>,
        /// Sample-rate column, or `none` to turn weighting off (default: auto-detect).
        #[arg(long)]
        sample_rate: Option<String>,
    },
    /// How good the files' instrumentation is, per service.name and overall: field coverage,
    /// OpenTelemetry semantic conventions (pinned registry), the team's conventions
    /// (--conventions), distinct values per column, trace health; every finding with the query
    /// that shows it.
    Quality {
        #[arg(required_unless_present = "backend")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        store: Store,
        /// The team's conventions JSON, inline or @path (see ARCHITECTURE.md, "Telemetry quality").
        #[arg(long)]
        conventions: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// A trigger over the files' events: its query's value per group, which cross the threshold,
    /// and the state (OK or TRIGGERED), as of the data's latest event (or --at), as JSON shaped
    /// like Honeycomb's webhook payload.
    Trigger {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The trigger JSON, inline or @path: {"name", "query", "threshold": {"op", "value"}, "frequency"?, "alert_type"?}.
        #[arg(long)]
        trigger: String,
        /// As of this time: epoch seconds or RFC 3339 (default: just after the latest event).
        #[arg(long)]
        at: Option<String>,
        /// Sample-rate column, or `none` to turn weighting off (default: auto-detect).
        #[arg(long)]
        sample_rate: Option<String>,
    },
    /// Assemble one trace: spans as a tree with depth, self time and the critical path (with
    /// --backend, only that trace's spans are fetched from ClickHouse).
    Trace {
        #[arg(required_unless_present = "backend")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        trace_id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Time the observability query set on generated demo data (prints numbers; asserts nothing).
    Bench {
        /// Row counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000000,5000000")]
        rows: Vec<usize>,
        /// Runs per query; the median is printed.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Load throughput per format (Arrow IPC, Parquet, NDJSON) instead of the queries.
        #[arg(long)]
        load: bool,
        /// Print the query set as JSON ([{name, spec}]) and stop (for the browser benchmarks).
        #[arg(long)]
        print_queries: bool,
    },
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("apiary: {e}");
            1
        }
    }
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn load_all(files: &[PathBuf]) -> Result<DataSet, String> {
    let mut ds = DataSet::empty();
    for f in files {
        // Handed over: Arrow IPC batches are slices of the file's bytes, not a copy.
        let loaded = ingest::load_owned(&f.display().to_string(), read(f)?).map_err(|e| e.to_string())?;
        ds.append(loaded.batches).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    Ok(ds)
}

/// JSON given inline, or `@path` to read it from a file.
fn inline_or_file(arg: String, what: &str) -> Result<String, String> {
    match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} {path}: {e}")),
        None => Ok(arg),
    }
}

/// `--sample-rate`: a column, `none` (weighting off), or auto-detection when not given.
fn sample_rate_mode(arg: Option<String>) -> SampleRate {
    match arg {
        None => SampleRate::Auto,
        Some(s) if s == "none" => SampleRate::Off,
        Some(s) => SampleRate::Column(s),
    }
}

fn set_sample_rate(ds: &mut DataSet, sample_rate: Option<String>) -> Result<(), String> {
    if sample_rate.is_some() {
        ds.set_sample_rate(sample_rate_mode(sample_rate)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Demo { rows, seed, out, compression, format } => {
            let batches = apiary::demo::generate(rows, seed, 65_536);
            let bytes = match format.as_str() {
                "parquet" => bench::to_parquet(&batches)?,
                "ndjson" => bench::to_ndjson(&batches).into_bytes(),
                _ if compression == "none" => ingest::arrow_ipc::write_stream_plain(&batches).map_err(|e| e.to_string())?,
                _ => ingest::arrow_ipc::write_stream(&batches).map_err(|e| e.to_string())?,
            };
            std::fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            eprintln!("wrote {rows} rows ({} bytes) to {}", bytes.len(), out.display());
            Ok(())
        }
        Command::Bench { rows, runs, load, print_queries } => {
            if print_queries {
                let qs: Vec<serde_json::Value> = bench::queries().into_iter().map(|(n, s)| serde_json::json!({"name": n, "spec": s})).collect();
                println!("{}", serde_json::Value::Array(qs));
                return Ok(());
            }
            if load {
                rows.iter().try_for_each(|r| bench::load(*r, runs.max(1)))
            } else {
                bench::run(&rows, runs.max(1))
            }
        }
        Command::Slo { files, slo, at, sample_rate } => {
            let slo = apiary::slo::Slo::from_json_str(&inline_or_file(slo, "slo")?).map_err(|e| e.to_string())?;
            print_as_of(&files, sample_rate, at.as_deref(), |ds, at_ms| apiary::slo::evaluate(ds, &slo, at_ms))
        }
        Command::Quality { files, store, conventions, format } => {
            let conventions = match conventions {
                Some(c) => Some(apiary::quality::Conventions::parse(&inline_or_file(c, "conventions")?).map_err(|e| e.to_string())?),
                None => None,
            };
            let report = match store.backend()? {
                Some(b) => {
                    let mut http = clickhouse::Http::new();
                    apiary::pace::finish(async {
                        let table = apiary::backend::Table::discover(&b, &mut http).await?;
                        apiary::backend::quality::report(&mut http, &b, &table, conventions.as_ref()).await
                    })
                    .map_err(|e| e.to_string())?
                }
                None => apiary::quality::evaluate(&load_all(&files)?, conventions.as_ref()),
            };
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
                Format::Table => print!("{}", output::quality_text(&report)),
                Format::Csv => return Err("the quality report is json or table".into()),
            }
            Ok(())
        }
        Command::Trigger { files, trigger, at, sample_rate } => {
            let trigger = apiary::trigger::Trigger::from_json_str(&inline_or_file(trigger, "trigger")?).map_err(|e| e.to_string())?;
            print_as_of(&files, sample_rate, at.as_deref(), |ds, at_ms| apiary::trigger::evaluate(ds, &trigger, at_ms))
        }
        Command::Trace { files, store, trace_id, format } => {
            let ds = match store.backend()? {
                Some(b) => {
                    let mut http = clickhouse::Http::new();
                    let batches = apiary::pace::finish(async {
                        let table = apiary::backend::Table::discover(&b, &mut http).await?;
                        apiary::backend::trace_spans(&mut http, &b, &table, std::slice::from_ref(&trace_id)).await
                    })
                    .map_err(|e| e.to_string())?;
                    DataSet::from_batches(batches).map_err(|e| e.to_string())?
                }
                None => load_all(&files)?,
            };
            let cols = apiary::trace::SpanColumns::detect(&ds).map_err(|e| e.to_string())?;
            let t = apiary::trace::Trace::assemble(&ds, &cols, &trace_id).map_err(|e| e.to_string())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&t.to_json()).unwrap_or_default()),
                _ => print!("{}", output::trace_text(&t)),
            }
            Ok(())
        }
        Command::Bubbleup { files, store, spec, selection, format, sample_rate, columns } => {
            let spec = QuerySpec::from_json_str(&inline_or_file(spec, "spec")?).map_err(|e| e.to_string())?;
            let sel_json: serde_json::Value = serde_json::from_str(&inline_or_file(selection, "selection")?).map_err(|e| format!("selection is not JSON: {e}"))?;
            let selection = apiary::bubbleup::Selection::from_json(&sel_json).map_err(|e| e.to_string())?;
            let b = match store.backend()? {
                Some(backend) => {
                    let mut http = clickhouse::Http::new();
                    let mode = sample_rate_mode(sample_rate);
                    apiary::pace::finish(async {
                        let table = apiary::backend::Table::discover(&backend, &mut http).await?;
                        apiary::backend::bubbleup(&mut http, &backend, &table, &spec, &selection, mode, columns.as_deref()).await
                    })
                    .map_err(|e| e.to_string())?
                }
                None => {
                    let mut ds = load_all(&files)?;
                    set_sample_rate(&mut ds, sample_rate)?;
                    apiary::bubbleup::run_on(&ds, &spec, &selection, columns.as_deref()).map_err(|e| e.to_string())?
                }
            };
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&b.to_json()).unwrap_or_default()),
                _ => print!("{}", output::bubbleup_table(&b)),
            }
            Ok(())
        }
        Command::Inspect { files, json, store } => {
            if let Some(b) = store.backend()? {
                let mut http = clickhouse::Http::new();
                let table = apiary::pace::finish(apiary::backend::Table::discover(&b, &mut http)).map_err(|e| e.to_string())?;
                let report = output::backend_report(&b, &table);
                if json {
                    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
                } else {
                    print!("{}", output::backend_text(&report));
                }
                return Ok(());
            }
            let mut reports = Vec::new();
            for f in &files {
                let bytes = read(f)?;
                let (name, size) = (f.display().to_string(), bytes.len());
                let loaded = ingest::load_owned(&name, bytes).map_err(|e| e.to_string())?;
                let format = loaded.format.name();
                let ds = DataSet::from_batches(loaded.batches).map_err(|e| format!("{name}: {e}"))?;
                reports.push(output::inspect_report(&name, format, size, &ds));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::Value::Array(reports)).unwrap_or_default());
            } else {
                for r in &reports {
                    print!("{}", output::inspect_text(r));
                }
            }
            Ok(())
        }
        Command::Query { files, store, spec, format, sample_rate, heatmap_scale } => {
            let spec = QuerySpec::from_json_str(&inline_or_file(spec, "spec")?).map_err(|e| e.to_string())?;
            let scale = match heatmap_scale {
                HeatmapScale::Linear => query::heatmap::Scale::Linear,
                HeatmapScale::Log => query::heatmap::Scale::Log,
            };
            let result = match store.backend()? {
                Some(b) => {
                    let mut http = clickhouse::Http::new();
                    let sample_rate = sample_rate_mode(sample_rate);
                    apiary::pace::finish(async {
                        let table = apiary::backend::Table::discover(&b, &mut http).await?;
                        apiary::backend::query(&mut http, &b, &table, &spec, &apiary::backend::Options { heatmap_scale: scale, sample_rate }).await
                    })
                    .map_err(|e| e.to_string())?
                }
                None => {
                    let mut ds = load_all(&files)?;
                    set_sample_rate(&mut ds, sample_rate)?;
                    query::run_with(&ds, &spec, &query::RunOptions { heatmap_scale: scale, within: None }).map_err(|e| e.to_string())?
                }
            };
            let text = match format {
                Format::Json => serde_json::to_string_pretty(&result.to_json()).unwrap_or_default(),
                Format::Csv => output::csv(&result),
                Format::Table => output::table(&result),
            };
            println!("{text}");
            Ok(())
        }
    }
}

/// Load `files`, then print `evaluate`'s JSON as of `--at` (an SLO's or a trigger's report).
fn print_as_of(files: &[PathBuf], sample_rate: Option<String>, at: Option<&str>, evaluate: impl FnOnce(&DataSet, Option<i64>) -> apiary::Result<serde_json::Value>) -> Result<(), String> {
    let at_ms = at_ms(at)?;
    let mut ds = load_all(files)?;
    set_sample_rate(&mut ds, sample_rate)?;
    let out = evaluate(&ds, at_ms).map_err(|e| e.to_string())?;
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(())
}

/// `--at`: epoch seconds or an RFC 3339 time, in ms.
fn at_ms(at: Option<&str>) -> Result<Option<i64>, String> {
    let Some(t) = at else { return Ok(None) };
    let secs = match t.parse::<f64>() {
        Ok(s) => s,
        Err(_) => apiary::derive::time::parse_rfc3339(t).ok_or_else(|| format!("--at {t:?}: expected epoch seconds or an RFC 3339 time"))?,
    };
    Ok(Some((secs * 1000.0) as i64))
}
