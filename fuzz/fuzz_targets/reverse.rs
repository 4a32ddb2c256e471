//! Location-style header values (any text) through ProxyPassReverse's rewriter with the
//! rules of a real configuration: a result, never a panic; a rewritten value keeps the rest
//! of the original byte for byte (nothing is decoded).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vhostd::config::model::ProxyReverse;

fn rules() -> &'static Vec<ProxyReverse> {
    static RULES: OnceLock<Vec<ProxyReverse>> = OnceLock::new();
    RULES.get_or_init(|| {
        let text = "Listen 127.0.0.1:8080\n<VirtualHost 127.0.0.1:8080>\nServerName a.test\n\
                    ProxyPassReverse /app/ http://127.0.0.1:9000/\n\
                    ProxyPassReverse /b http://[::1]:9001/b/\n\
                    ProxyPassReverse / https://up.example/\n</VirtualHost>\n";
        let mut opts = vhostd::prepare::check::CheckOptions::new("f.conf".into(), std::env::temp_dir());
        opts.text = Some(text.to_string());
        let checked = vhostd::prepare::check::check(&opts);
        checked.plan.vhosts[0].conf.proxy.reverses.clone()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(out) = vhostd::serve::handlers::proxy_map::reverse(value, rules(), "http://a.test:8080") {
        assert!(out.starts_with("http://a.test:8080"), "{out}");
    }
});
