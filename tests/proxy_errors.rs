//! The proxy's own errors (a backend that refuses connections) answered like any other error,
//! as httpd's ap_die does: a local ErrorDocument page (the classic maintenance page for a
//! backend that is down), a text ErrorDocument, and the default page with ServerSignature.

mod common;

use common::get_req;
use common::server::{body_of, raw, start, status_of};
use common::upstream;

const CONF: &str = "ServerName main.test
Listen 127.0.0.1:{P0}
<VirtualHost 127.0.0.1:{P0}>
  ServerName a.test
  DocumentRoot htdocs/a
  ErrorDocument 503 /maintenance.html
  ProxyPass /app/ http://127.0.0.1:{DEAD}/
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName b.test
  DocumentRoot htdocs/b
  ErrorDocument 503 \"Back soon\"
  ProxyPass /app/ http://127.0.0.1:{DEAD}/
</VirtualHost>
<VirtualHost 127.0.0.1:{P0}>
  ServerName c.test
  DocumentRoot htdocs/c
  ServerSignature On
  ProxyPass /app/ http://127.0.0.1:{DEAD}/
</VirtualHost>
";

#[tokio::test]
async fn a_backend_that_is_down_gets_the_sites_error_page() {
    let dead = upstream::DeadPort::new();
    let conf = CONF.replace("{DEAD}", &dead.port().to_string());
    let s = start(&conf, &["127.0.0.1"], "", &["a", "b", "c"]).await;
    std::fs::write(
        s.root().join("htdocs/a/maintenance.html"),
        "down for maintenance",
    )
    .expect("write");
    let a = s.addr("127.0.0.1", 0);
    let r = raw(a, None, get_req("/app/x", "a.test", "").as_bytes()).await;
    assert_eq!(status_of(&r), 503, "{r}");
    assert_eq!(body_of(&r), "down for maintenance");
    let r = raw(a, None, get_req("/app/x", "b.test", "").as_bytes()).await;
    assert_eq!((status_of(&r), body_of(&r)), (503, "Back soon"), "{r}");
    let r = raw(a, None, get_req("/app/x", "c.test", "").as_bytes()).await;
    assert_eq!(status_of(&r), 503, "{r}");
    assert!(
        body_of(&r).contains("Server at c.test Port 80</address>"),
        "{r}"
    );
    s.stop().await;
}
