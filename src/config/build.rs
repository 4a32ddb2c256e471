//! Takes the evaluated tree and gives the `Model`: each directive checked against the table in
//! `directives.rs` (name, arity, contexts, value) and stored where it applies; every problem is
//! reported with its span and the walk goes on.

use super::ast::{Directive, Node, Section};
use super::diag::{Diagnostic, did_you_mean};
use super::directives::{self, Arity, Ctx, Def, Tier};
use super::lexer::Word;
use super::loader::Loaded;
use super::model::{DirConf, Model, ServerConf, VirtualHost};
use super::source::{Span, Spanned};
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

/// Resolves a hostname written on a `<VirtualHost>` line to its addresses.
pub type Resolver = Box<dyn Fn(&str) -> Vec<IpAddr>>;

/// What building needs from outside: how to resolve hostnames on `<VirtualHost>` lines.
pub struct BuildOptions {
    pub resolve_host: Resolver,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            resolve_host: Box::new(|h| {
                (h, 0)
                    .to_socket_addrs()
                    .map(|it| it.map(|sa| sa.ip()).collect())
                    .unwrap_or_default()
            }),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SectionKind {
    Directory,
    Location,
    Files,
    /// `<If>`, `<ElseIf>`, `<Else>`.
    If,
}

/// The state of the walk: the model so far, where we are, what we found.
pub struct Builder<'a> {
    pub model: Model,
    pub diags: Vec<Diagnostic>,
    /// The ServerRoot in force (a `ServerRoot` line changes it for what follows).
    pub root: PathBuf,
    pub opts: &'a BuildOptions,
    pub(super) vhost: Option<usize>,
    pub(super) section: Option<(SectionKind, usize)>,
    /// The previous sibling was an `<If>` or `<ElseIf>` (so an `<ElseIf>`/`<Else>` may follow).
    pub(super) if_open: bool,
    /// The open `<MDomainSet>` (its index in `model.md.domains`).
    pub(super) md_set: Option<usize>,
    /// Open `<RequireAll|Any|None>` containers, innermost last.
    pub(super) authz_stack: Vec<crate::access::authz::Section>,
    /// Directives accepted without effect: the first place each was seen, and how often.
    inert: std::collections::BTreeMap<String, (Span, &'static str, usize)>,
}

/// Builds the model from a loaded tree.
pub fn build(loaded: &Loaded, server_root: &Path, opts: &BuildOptions) -> (Model, Vec<Diagnostic>) {
    let mut b = Builder {
        model: Model {
            server_root: server_root.to_path_buf(),
            main_file: loaded.main_file.clone(),
            defines: loaded.defines.clone(),
            ..Model::default()
        },
        diags: Vec::new(),
        root: server_root.to_path_buf(),
        opts,
        vhost: None,
        section: None,
        authz_stack: Vec::new(),
        if_open: false,
        md_set: None,
        inert: Default::default(),
    };
    b.walk(&loaded.nodes);
    b.report_inert();
    b.model.server_root = b.root.clone();
    (b.model, b.diags)
}

impl Builder<'_> {
    /// The settings of the server being configured (a vhost or the main server).
    pub fn server(&mut self) -> &mut ServerConf {
        match self.vhost {
            Some(i) => &mut self.model.vhosts[i].conf,
            None => &mut self.model.main,
        }
    }

    /// The directory-context settings in force: the open section's, else the server's.
    pub fn dir(&mut self) -> &mut DirConf {
        let section = self.section;
        let server = self.server();
        match section {
            Some((SectionKind::Directory, i)) => &mut server.directories[i].conf,
            Some((SectionKind::Location, i)) => &mut server.locations[i].conf,
            Some((SectionKind::Files, i)) => &mut server.files[i].conf,
            Some((SectionKind::If, i)) => &mut server.ifs[i].conf,
            None => &mut server.dir,
        }
    }

    /// The URL-path of the open `<Location>`, if in one.
    pub fn location_path(&mut self) -> Option<String> {
        match self.section {
            Some((SectionKind::Location, i)) => Some(self.server().locations[i].path.clone()),
            _ => None,
        }
    }

    pub fn in_vhost(&self) -> bool {
        self.vhost.is_some()
    }

    pub fn section(&self) -> Option<SectionKind> {
        self.section.map(|(k, _)| k)
    }

    /// A path argument, taken from ServerRoot when relative.
    pub fn path(&self, w: &Word) -> Spanned<PathBuf> {
        Spanned::new(
            super::loader::resolve(&self.root, Path::new(&w.text)),
            w.span,
        )
    }

    pub fn warn(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(super) fn ctx(&self) -> Ctx {
        match (self.section, self.vhost) {
            (Some((SectionKind::Directory | SectionKind::Files | SectionKind::If, _)), _) => {
                Ctx::DIRECTORY
            }
            (Some((SectionKind::Location, _)), _) => Ctx::LOCATION,
            (None, Some(_)) => Ctx::VHOST,
            (None, None) => Ctx::MAIN,
        }
    }

    pub(super) fn walk(&mut self, nodes: &[Node]) {
        for node in nodes {
            let continues_if = matches!(node, Node::Section(s)
                if s.name.text.eq_ignore_ascii_case("elseif") || s.name.text.eq_ignore_ascii_case("else"));
            if !continues_if {
                self.if_open = false;
            }
            match node {
                Node::Directive(d) => self.directive(d),
                Node::Section(s) => self.section_node(s),
            }
        }
    }

    fn directive(&mut self, d: &Directive) {
        self.run_named(d)
    }

    /// Looks the directive up in the registry and applies it.
    pub(super) fn run_named(&mut self, d: &Directive) {
        let Some(def) = directives::find(&d.name.text) else {
            return self.unknown(&d.name, false);
        };
        self.run_directive(def, d)
    }

    /// Applies one directive as its definition says (its tier, place and arity checked).
    pub(super) fn run_directive(&mut self, def: &Def, d: &Directive) {
        match def.tier {
            Tier::Honoured => {}
            Tier::Inert(why) => return self.inert_use(def.name, d.name.span, why),
            Tier::Refused(why) => return self.diags.push(refused(def, d, why)),
            Tier::Fixed(values, why) => {
                let fixed = !d.args.is_empty()
                    && d.args
                        .iter()
                        .all(|a| values.iter().any(|v| v.eq_ignore_ascii_case(&a.text)));
                if !fixed {
                    self.diags.push(refused(def, d, why).with_help(format!(
                        "this server accepts only: {} {}",
                        def.name,
                        values.join(" | ")
                    )));
                }
                return;
            }
        }
        if let Err(e) = self
            .check_place(def, &d.name)
            .and_then(|_| check_arity(def, d))
        {
            self.diags.push(e);
            return;
        }
        if let Err(e) = (def.apply)(self, d) {
            self.diags.push(e);
        }
    }

    /// Notes a use of something accepted without effect; one warning per `what` is given at
    /// the end, at its first place, with the count of the others.
    pub fn inert_use(&mut self, what: &str, span: Span, why: &'static str) {
        let seen = self.inert.entry(what.to_string()).or_insert((span, why, 0));
        seen.2 += 1;
    }

    /// One warning per directive name accepted without effect, at its first use.
    fn report_inert(&mut self) {
        for (name, (span, why, count)) in std::mem::take(&mut self.inert) {
            let more = match count {
                1 => String::new(),
                2 => " (and on 1 more line)".to_string(),
                n => format!(" (and on {} more lines)", n - 1),
            };
            self.diags.push(
                Diagnostic::warning(span, format!("{name} has no effect in this server{more}: {why}"))
                    .with_help("remove those lines to silence this warning; `server -L` lists what each directive does here"),
            );
        }
    }

    pub(super) fn unknown(&mut self, name: &Word, section: bool) {
        let shown = if section {
            format!("<{}", name.text)
        } else {
            name.text.clone()
        };
        let candidates = if section {
            directives::SECTIONS
        } else {
            directives::names()
        };
        let mut diag = Diagnostic::error(
            name.span,
            format!(
                "Invalid command '{shown}', perhaps misspelled or defined by a module not included in the server configuration"
            ),
        );
        if let Some(s) = did_you_mean(&name.text, candidates.iter().copied()) {
            diag = diag.with_help(if section {
                format!("did you mean <{s}>?")
            } else {
                format!("did you mean '{s}'?")
            });
        }
        self.diags.push(diag);
    }

    fn check_place(&self, def: &Def, name: &Word) -> Result<(), Diagnostic> {
        let here = self.ctx();
        if def.ctx.allows(here) {
            return Ok(());
        }
        let n = def.name;
        let (msg, help) = match here {
            Ctx::DIRECTORY | Ctx::LOCATION => (
                format!("{n} cannot occur within <Directory/Location/Files> section"),
                format!(
                    "move {n} out of the <Directory>/<Location> section, into the server or <VirtualHost> it belongs to"
                ),
            ),
            Ctx::VHOST => (
                format!("{n} cannot occur within <VirtualHost> section"),
                format!("{n} applies to the whole server: move it outside every <VirtualHost>"),
            ),
            _ if def.ctx == Ctx::VHOST => (
                format!("{n} only used in <VirtualHost>"),
                format!("move {n} into the <VirtualHost> it belongs to"),
            ),
            _ => (
                format!("{n} not allowed here"),
                format!("{n} belongs in a <Directory> or <Location> section"),
            ),
        };
        Err(Diagnostic::error(name.span, msg).with_help(help))
    }

    pub(super) fn virtual_host(&mut self, s: &Section) {
        if self.vhost.is_some() || self.section.is_some() {
            let inside = if self.section.is_some() {
                "<Directory/Location/Files>"
            } else {
                "<VirtualHost>"
            };
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    format!("<VirtualHost> cannot occur within {inside} section"),
                )
                .with_help("close the enclosing section before opening <VirtualHost>"),
            );
            return;
        }
        if s.args.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    s.name.span,
                    "<VirtualHost> directive requires additional arguments",
                )
                .with_help("name the address and port it answers on, e.g. <VirtualHost *:443>"),
            );
            return;
        }
        let mut addrs = Vec::new();
        for a in &s.args {
            match super::listen::parse_vhost_addr(&a.text, &*self.opts.resolve_host) {
                Ok(list) => addrs.extend(list.into_iter().map(|v| Spanned::new(v, a.span))),
                Err(e) if e.starts_with("AH00547") => self.diags.push(
                    Diagnostic::warning(a.span, e)
                        .with_help("use an IP address or * on <VirtualHost> lines; names are resolved only once, at start"),
                ),
                Err(e) => self.diags.push(Diagnostic::error(a.span, e).with_help(
                    "write addr:port with an IPv4 address, [IPv6], *, or _default_, and a port 1-65535 or *",
                )),
            }
        }
        self.model.vhosts.push(VirtualHost {
            span: s.name.span,
            addrs,
            conf: ServerConf::default(),
        });
        self.vhost = Some(self.model.vhosts.len() - 1);
        self.walk(&s.children);
        self.vhost = None;
    }
}

/// Checks the argument count, with httpd's wording.
fn check_arity(def: &Def, d: &Directive) -> Result<(), Diagnostic> {
    let n = d.args.len();
    let (ok, what) = match def.arity {
        Arity::One => (n == 1, "takes one argument"),
        Arity::Two => (n == 2, "takes two arguments"),
        Arity::OneOrTwo => ((1..=2).contains(&n), "takes one or two arguments"),
        Arity::TwoOrThree => ((2..=3).contains(&n), "takes two or three arguments"),
        Arity::OneToThree => ((1..=3).contains(&n), "takes one, two or three arguments"),
        Arity::AtLeastOne => (n >= 1, "requires at least one argument"),
        Arity::AtLeastTwo => (n >= 2, "requires at least two arguments"),
        Arity::Flag => (n == 1, "must be On or Off"),
        Arity::Any => (true, ""),
    };
    if ok {
        return Ok(());
    }
    let span = if n > 0 { d.args_span() } else { d.name.span };
    let msg = match def.arity {
        Arity::Flag => format!("{} {what}", def.name),
        _ => format!("{} {what}, {}", def.name, def.doc),
    };
    let help = if d.args.iter().any(|a| a.text.starts_with('#')) {
        "a '#' after a directive is not a comment in httpd configuration files: put the comment on a line of its own".to_string()
    } else {
        format!("usage: {}", def.usage)
    };
    Err(Diagnostic::error(span, msg).with_help(help))
}

/// The error for a directive this server will not ignore.
fn refused(def: &Def, d: &Directive, why: &str) -> Diagnostic {
    Diagnostic::error(
        d.name.span,
        format!("{} ({}) is not supported by this server: {why}", def.name, def.module),
    )
    .with_help("remove it, or keep this configuration on httpd; `server -L` lists what each directive does here")
}
