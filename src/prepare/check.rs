//! Takes a config path and the command-line settings and runs the whole pipeline short of
//! binding: load, build the model, plan, check directories, read every certificate and key,
//! check name coverage. Gives the plan, the certificate facts and every diagnostic (`-t`, `-S`).

use crate::config::build::{self, BuildOptions};
use crate::config::diag::{Diagnostic, Diagnostics};
use crate::config::loader::{self, LoadOptions};
use crate::config::source::SourceMap;
use crate::insight::{self, Finding};
use crate::plan::cert_facts::CertFacts;
use crate::plan::{self, Plan, PlanOptions, coverage};
use crate::prepare::certs;
use std::path::PathBuf;
use std::time::SystemTime;

/// Everything a check needs from outside.
pub struct CheckOptions {
    pub config: PathBuf,
    pub load: LoadOptions,
    pub build: BuildOptions,
    pub plan: PlanOptions,
    pub now: SystemTime,
    /// Inline config text to use instead of reading `config` (tests, benches).
    pub text: Option<String>,
}

impl CheckOptions {
    pub fn new(config: PathBuf, server_root: PathBuf) -> Self {
        CheckOptions {
            config,
            load: LoadOptions::new(server_root),
            build: BuildOptions::default(),
            plan: PlanOptions::default(),
            now: SystemTime::now(),
            text: None,
        }
    }
}

/// The result of a check.
pub struct Checked {
    pub sources: SourceMap,
    pub plan: Plan,
    pub certs: Vec<Option<CertFacts>>,
    /// Coverage findings (also in `diags`), for the `-S` dump.
    pub coverage: Vec<Diagnostic>,
    /// Coverage and the hazard reports, each with its kind (also in `diags`).
    pub findings: Vec<Finding>,
    pub diags: Diagnostics,
    /// The time certificates were judged at.
    pub now: SystemTime,
}

impl Checked {
    pub fn ok(&self) -> bool {
        !self.diags.has_errors()
    }
    /// The `-S` text: the plan, then the hazard reports.
    pub fn dump(&self) -> String {
        let mut out = plan::dump::dump(&self.plan, &self.sources, &self.certs, &self.coverage);
        out.push_str(&insight::managed::text(
            &self.plan,
            &self.sources,
            &self.certs,
            self.now,
        ));
        out.push_str(&insight::report_text(&self.findings, &self.sources));
        out
    }

    /// `-E`: one request explained against this plan, certificates judged against `roots`.
    pub fn explain(
        &self,
        roots: &insight::certinfo::Roots,
        ask: &insight::explain::Ask,
    ) -> Result<insight::explain::Explanation, String> {
        let cx = insight::explain::Context {
            plan: &self.plan,
            sources: &self.sources,
            facts: &self.certs,
            roots,
            now: self.now,
        };
        insight::explain::explain(&cx, ask)
    }

    /// The `-S -j` JSON, with certificate details judged against `roots`.
    pub fn json(&self, roots: &insight::certinfo::Roots) -> serde_json::Value {
        let info = insight::certinfo::infos(&self.certs, roots, self.now);
        insight::json::plan_json(&insight::json::Inputs {
            plan: &self.plan,
            sources: &self.sources,
            facts: &self.certs,
            info: &info,
            findings: &self.findings,
        })
    }
}

/// Runs every check; it never stops at the first error.
pub fn check(opts: &CheckOptions) -> Checked {
    let loaded = match &opts.text {
        Some(t) => loader::load_text(&opts.config, t, &opts.load),
        None => loader::load_file(&opts.config, &opts.load),
    };
    let mut diags = loaded.diags.clone();
    let (model, build_diags) = build::build(&loaded, &opts.load.server_root, &opts.build);
    diags.extend(build_diags);
    let (plan, plan_diags) = plan::plan(&model, &opts.plan);
    diags.extend(plan_diags);
    diags.extend(check_directories(&plan));
    diags.extend(check_files(&plan));
    diags.extend(crate::md::store::check_files(&plan.model));
    let (certs, cert_diags) = certs::load_all(&plan, opts.now);
    diags.extend(cert_diags);
    let mut coverage = coverage::coverage(&plan, &certs);
    if let Some(strict) = plan.model.ssl_coverage_strict.as_ref().filter(|s| s.value) {
        // Warnings only: a note (a managed domain's name its next certificate will hold)
        // is no reason to refuse a start or reload.
        let warnings = coverage
            .iter_mut()
            .filter(|d| d.severity == crate::config::diag::Severity::Warning);
        for d in warnings {
            d.severity = crate::config::diag::Severity::Error;
            d.notes.push((
                strict.span,
                "SSLCoverage strict makes this an error".to_string(),
            ));
        }
    }
    diags.extend(coverage.iter().cloned());
    let mut findings: Vec<Finding> = coverage
        .iter()
        .map(|d| Finding {
            kind: "coverage",
            diag: d.clone(),
        })
        .collect();
    let hazards = insight::hazards::hazards(&plan, &certs, opts.now);
    diags.extend(hazards.iter().map(|f| f.diag.clone()));
    findings.extend(hazards);
    // In file order, so that a person reads them top to bottom; whole-run findings last.
    diags.items.sort_by_key(|d| {
        d.span
            .map_or((1, Default::default()), |s| (0, (s.file, s.line, s.col)))
    });
    Checked {
        sources: loaded.sources,
        plan,
        certs,
        coverage,
        findings,
        diags,
        now: opts.now,
    }
}

/// DocumentRoot must be a readable directory: an error for the main server, a warning
/// (httpd's AH00112) for a vhost.
fn check_directories(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(root) = &plan.model.main.document_root
        && std::fs::read_dir(&root.value).is_err()
    {
        out.push(
            Diagnostic::error(
                root.span,
                format!(
                    "DocumentRoot '{}' is not a directory, or is not readable",
                    root.value.display()
                ),
            )
            .with_help(
                "create the directory, or correct the path (relative paths start at ServerRoot)",
            ),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for v in &plan.model.vhosts {
        if let Some(root) = &v.conf.document_root
            && seen.insert(root.value.clone())
            && std::fs::read_dir(&root.value).is_err()
        {
            out.push(
                Diagnostic::warning(
                    root.span,
                    format!(
                        "AH00112: Warning: DocumentRoot [{}] does not exist",
                        root.value.display()
                    ),
                )
                .with_help("create the directory before serving, or correct the path"),
            );
        }
    }
    out
}

/// The files read when a configuration is prepared: TypesConfig must be readable (an error);
/// an AuthUserFile or AuthGroupFile that cannot be read is a warning, since httpd too starts
/// and answers 500 where it is needed.
fn check_files(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(t) = &plan.model.types_config
        && let Err(e) = std::fs::read(&t.value)
    {
        out.push(
            Diagnostic::error(
                t.span,
                format!(
                    "could not open mime types config file {}: {e}",
                    t.value.display()
                ),
            )
            .with_help("correct the path, or remove TypesConfig to use the built-in table"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    let servers =
        std::iter::once(&plan.model.main).chain(plan.model.vhosts.iter().map(|v| &v.conf));
    for d in servers.flat_map(|c| c.dir_confs()) {
        for f in [&d.auth_user_file, &d.auth_group_file]
            .into_iter()
            .flatten()
        {
            if seen.insert(f.value.clone())
                && let Err(e) = std::fs::read(&f.value)
            {
                out.push(
                    Diagnostic::warning(f.span, format!("cannot read {}: {e}", f.value.display()))
                        .with_help("requests that need this file will be answered 500 until it exists and the configuration is reloaded"),
                );
            }
        }
    }
    out
}
