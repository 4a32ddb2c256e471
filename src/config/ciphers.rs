//! mod_ssl `SSLCipherSuite` strings in (OpenSSL cipher lists for TLS <= 1.2, IANA lists for TLS 1.3),
//! the names of the rustls (aws-lc-rs) suites to offer out, with notes on what cannot be offered.
//!
//! A TLS <= 1.2 string is evaluated the way OpenSSL 3.0 does (`man 1 ciphers`: `!`/`-`/`+`
//! prefixes, `A+B`, aliases, `DEFAULT`, `@STRENGTH`) over a model of OpenSSL's whole cipher list,
//! so the order is what `openssl ciphers STRING` prints, then filtered to what rustls implements.

use std::sync::OnceLock;

/// The result of one SSLCipherSuite line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suites {
    /// TLS 1.2 suites rustls can offer (rustls/IANA names), in the order OpenSSL would prefer them.
    pub tls12: Vec<&'static str>,
    /// Problems that do not stop the server: what the string selects that rustls does not
    /// implement (with why), and words that were ignored.
    pub not_offered: Vec<String>,
}

/// The TLS 1.2 suites rustls offers (OpenSSL name, rustls name), in rustls' default order.
const RUSTLS12: &str = "ECDHE-ECDSA-AES256-GCM-SHA384 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
ECDHE-ECDSA-AES128-GCM-SHA256 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
ECDHE-ECDSA-CHACHA20-POLY1305 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
ECDHE-RSA-AES256-GCM-SHA384 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
ECDHE-RSA-AES128-GCM-SHA256 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
ECDHE-RSA-CHACHA20-POLY1305 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
/// The TLS 1.3 suites (OpenSSL/IANA name, rustls name); then those rustls lacks.
const RUSTLS13: &str = "TLS_AES_256_GCM_SHA384 TLS13_AES_256_GCM_SHA384
TLS_AES_128_GCM_SHA256 TLS13_AES_128_GCM_SHA256
TLS_CHACHA20_POLY1305_SHA256 TLS13_CHACHA20_POLY1305_SHA256";
const OTHER13: [&str; 2] = ["TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"];

/// Attribute names; a cipher's or alias's attribute is a bit set over these (bit i = word i).
const KX: &str = "RSA DHE ECDHE PSK RSAPSK DHEPSK ECDHEPSK SRP";
const AU: &str = "RSA DSS NULL ECDSA PSK SRP";
const ENC: &str = "3DES NULL AES128 AES256 CAMELLIA128 CAMELLIA256 AESGCM128 AESGCM256 AESCCM128 \
AESCCM256 AESCCM8_128 AESCCM8_256 CHACHA20 ARIAGCM128 ARIAGCM256";
const MAC: &str = "MD5 SHA1 SHA256 SHA384 AEAD";
/// Minimum protocol: a value (index + 1), not a bit set.
const VER: &str = "SSLv3 TLSv1 TLSv1.2";
/// Strength flags: `-` none (eNULL), Low, Medium, High, Fips, Not in DEFAULT.
const FLAGS: [(char, u32); 6] = [('-', 1), ('L', 2), ('M', 4), ('H', 8), ('F', 16), ('N', 64)];
const STRONG: u32 = 0x3f;
const NOT_DEFAULT: u32 = 0x40;

/// OpenSSL 3.0's TLS <= 1.2 ciphers in its master preference order (what one rule selecting
/// them all would list): name, key exchange, authentication, encryption, MAC, minimum
/// protocol, strength bits, flags.
const TABLE: &str = "
ECDHE-ECDSA-AES256-GCM-SHA384  ECDHE    ECDSA AESGCM256   AEAD   TLSv1.2 256 HF
ECDHE-RSA-AES256-GCM-SHA384    ECDHE    RSA   AESGCM256   AEAD   TLSv1.2 256 HF
DHE-DSS-AES256-GCM-SHA384      DHE      DSS   AESGCM256   AEAD   TLSv1.2 256 HFN
DHE-RSA-AES256-GCM-SHA384      DHE      RSA   AESGCM256   AEAD   TLSv1.2 256 HF
ECDHE-ECDSA-CHACHA20-POLY1305  ECDHE    ECDSA CHACHA20    AEAD   TLSv1.2 256 H
ECDHE-RSA-CHACHA20-POLY1305    ECDHE    RSA   CHACHA20    AEAD   TLSv1.2 256 H
DHE-RSA-CHACHA20-POLY1305      DHE      RSA   CHACHA20    AEAD   TLSv1.2 256 H
ECDHE-ECDSA-AES256-CCM8        ECDHE    ECDSA AESCCM8_256 AEAD   TLSv1.2 256 HN
ECDHE-ECDSA-AES256-CCM         ECDHE    ECDSA AESCCM256   AEAD   TLSv1.2 256 HN
DHE-RSA-AES256-CCM8            DHE      RSA   AESCCM8_256 AEAD   TLSv1.2 256 HN
DHE-RSA-AES256-CCM             DHE      RSA   AESCCM256   AEAD   TLSv1.2 256 HN
ECDHE-ECDSA-ARIA256-GCM-SHA384 ECDHE    ECDSA ARIAGCM256  AEAD   TLSv1.2 256 HN
ECDHE-ARIA256-GCM-SHA384       ECDHE    RSA   ARIAGCM256  AEAD   TLSv1.2 256 HN
DHE-DSS-ARIA256-GCM-SHA384     DHE      DSS   ARIAGCM256  AEAD   TLSv1.2 256 HN
DHE-RSA-ARIA256-GCM-SHA384     DHE      RSA   ARIAGCM256  AEAD   TLSv1.2 256 HN
ADH-AES256-GCM-SHA384          DHE      NULL  AESGCM256   AEAD   TLSv1.2 256 HFN
ECDHE-ECDSA-AES128-GCM-SHA256  ECDHE    ECDSA AESGCM128   AEAD   TLSv1.2 128 HF
ECDHE-RSA-AES128-GCM-SHA256    ECDHE    RSA   AESGCM128   AEAD   TLSv1.2 128 HF
DHE-DSS-AES128-GCM-SHA256      DHE      DSS   AESGCM128   AEAD   TLSv1.2 128 HFN
DHE-RSA-AES128-GCM-SHA256      DHE      RSA   AESGCM128   AEAD   TLSv1.2 128 HF
ECDHE-ECDSA-AES128-CCM8        ECDHE    ECDSA AESCCM8_128 AEAD   TLSv1.2 128 HN
ECDHE-ECDSA-AES128-CCM         ECDHE    ECDSA AESCCM128   AEAD   TLSv1.2 128 HN
DHE-RSA-AES128-CCM8            DHE      RSA   AESCCM8_128 AEAD   TLSv1.2 128 HN
DHE-RSA-AES128-CCM             DHE      RSA   AESCCM128   AEAD   TLSv1.2 128 HN
ECDHE-ECDSA-ARIA128-GCM-SHA256 ECDHE    ECDSA ARIAGCM128  AEAD   TLSv1.2 128 HN
ECDHE-ARIA128-GCM-SHA256       ECDHE    RSA   ARIAGCM128  AEAD   TLSv1.2 128 HN
DHE-DSS-ARIA128-GCM-SHA256     DHE      DSS   ARIAGCM128  AEAD   TLSv1.2 128 HN
DHE-RSA-ARIA128-GCM-SHA256     DHE      RSA   ARIAGCM128  AEAD   TLSv1.2 128 HN
ADH-AES128-GCM-SHA256          DHE      NULL  AESGCM128   AEAD   TLSv1.2 128 HFN
ECDHE-ECDSA-AES256-SHA384      ECDHE    ECDSA AES256      SHA384 TLSv1.2 256 HF
ECDHE-RSA-AES256-SHA384        ECDHE    RSA   AES256      SHA384 TLSv1.2 256 HF
DHE-RSA-AES256-SHA256          DHE      RSA   AES256      SHA256 TLSv1.2 256 HF
DHE-DSS-AES256-SHA256          DHE      DSS   AES256      SHA256 TLSv1.2 256 HFN
ECDHE-ECDSA-CAMELLIA256-SHA384 ECDHE    ECDSA CAMELLIA256 SHA384 TLSv1.2 256 HN
ECDHE-RSA-CAMELLIA256-SHA384   ECDHE    RSA   CAMELLIA256 SHA384 TLSv1.2 256 HN
DHE-RSA-CAMELLIA256-SHA256     DHE      RSA   CAMELLIA256 SHA256 TLSv1.2 256 HN
DHE-DSS-CAMELLIA256-SHA256     DHE      DSS   CAMELLIA256 SHA256 TLSv1.2 256 HN
ADH-AES256-SHA256              DHE      NULL  AES256      SHA256 TLSv1.2 256 HFN
ADH-CAMELLIA256-SHA256         DHE      NULL  CAMELLIA256 SHA256 TLSv1.2 256 HN
ECDHE-ECDSA-AES128-SHA256      ECDHE    ECDSA AES128      SHA256 TLSv1.2 128 HF
ECDHE-RSA-AES128-SHA256        ECDHE    RSA   AES128      SHA256 TLSv1.2 128 HF
DHE-RSA-AES128-SHA256          DHE      RSA   AES128      SHA256 TLSv1.2 128 HF
DHE-DSS-AES128-SHA256          DHE      DSS   AES128      SHA256 TLSv1.2 128 HFN
ECDHE-ECDSA-CAMELLIA128-SHA256 ECDHE    ECDSA CAMELLIA128 SHA256 TLSv1.2 128 HN
ECDHE-RSA-CAMELLIA128-SHA256   ECDHE    RSA   CAMELLIA128 SHA256 TLSv1.2 128 HN
DHE-RSA-CAMELLIA128-SHA256     DHE      RSA   CAMELLIA128 SHA256 TLSv1.2 128 HN
DHE-DSS-CAMELLIA128-SHA256     DHE      DSS   CAMELLIA128 SHA256 TLSv1.2 128 HN
ADH-AES128-SHA256              DHE      NULL  AES128      SHA256 TLSv1.2 128 HFN
ADH-CAMELLIA128-SHA256         DHE      NULL  CAMELLIA128 SHA256 TLSv1.2 128 HN
ECDHE-ECDSA-AES256-SHA         ECDHE    ECDSA AES256      SHA1   TLSv1   256 HF
ECDHE-RSA-AES256-SHA           ECDHE    RSA   AES256      SHA1   TLSv1   256 HF
DHE-RSA-AES256-SHA             DHE      RSA   AES256      SHA1   SSLv3   256 HF
DHE-DSS-AES256-SHA             DHE      DSS   AES256      SHA1   SSLv3   256 HFN
DHE-RSA-CAMELLIA256-SHA        DHE      RSA   CAMELLIA256 SHA1   SSLv3   256 HN
DHE-DSS-CAMELLIA256-SHA        DHE      DSS   CAMELLIA256 SHA1   SSLv3   256 HN
AECDH-AES256-SHA               ECDHE    NULL  AES256      SHA1   TLSv1   256 HFN
ADH-AES256-SHA                 DHE      NULL  AES256      SHA1   SSLv3   256 HFN
ADH-CAMELLIA256-SHA            DHE      NULL  CAMELLIA256 SHA1   SSLv3   256 HN
ECDHE-ECDSA-AES128-SHA         ECDHE    ECDSA AES128      SHA1   TLSv1   128 HF
ECDHE-RSA-AES128-SHA           ECDHE    RSA   AES128      SHA1   TLSv1   128 HF
DHE-RSA-AES128-SHA             DHE      RSA   AES128      SHA1   SSLv3   128 HF
DHE-DSS-AES128-SHA             DHE      DSS   AES128      SHA1   SSLv3   128 HFN
DHE-RSA-CAMELLIA128-SHA        DHE      RSA   CAMELLIA128 SHA1   SSLv3   128 HN
DHE-DSS-CAMELLIA128-SHA        DHE      DSS   CAMELLIA128 SHA1   SSLv3   128 HN
AECDH-AES128-SHA               ECDHE    NULL  AES128      SHA1   TLSv1   128 HFN
ADH-AES128-SHA                 DHE      NULL  AES128      SHA1   SSLv3   128 HFN
ADH-CAMELLIA128-SHA            DHE      NULL  CAMELLIA128 SHA1   SSLv3   128 HN
ECDHE-ECDSA-NULL-SHA           ECDHE    ECDSA NULL        SHA1   TLSv1     0 -
ECDHE-RSA-NULL-SHA             ECDHE    RSA   NULL        SHA1   TLSv1     0 -
AECDH-NULL-SHA                 ECDHE    NULL  NULL        SHA1   TLSv1     0 -
RSA-PSK-AES256-GCM-SHA384      RSAPSK   RSA   AESGCM256   AEAD   TLSv1.2 256 HF
DHE-PSK-AES256-GCM-SHA384      DHEPSK   PSK   AESGCM256   AEAD   TLSv1.2 256 HF
RSA-PSK-CHACHA20-POLY1305      RSAPSK   RSA   CHACHA20    AEAD   TLSv1.2 256 H
DHE-PSK-CHACHA20-POLY1305      DHEPSK   PSK   CHACHA20    AEAD   TLSv1.2 256 H
ECDHE-PSK-CHACHA20-POLY1305    ECDHEPSK PSK   CHACHA20    AEAD   TLSv1.2 256 H
DHE-PSK-AES256-CCM8            DHEPSK   PSK   AESCCM8_256 AEAD   TLSv1.2 256 HN
DHE-PSK-AES256-CCM             DHEPSK   PSK   AESCCM256   AEAD   TLSv1.2 256 HN
RSA-PSK-ARIA256-GCM-SHA384     RSAPSK   RSA   ARIAGCM256  AEAD   TLSv1.2 256 HN
DHE-PSK-ARIA256-GCM-SHA384     DHEPSK   PSK   ARIAGCM256  AEAD   TLSv1.2 256 HN
AES256-GCM-SHA384              RSA      RSA   AESGCM256   AEAD   TLSv1.2 256 HF
AES256-CCM8                    RSA      RSA   AESCCM8_256 AEAD   TLSv1.2 256 HN
AES256-CCM                     RSA      RSA   AESCCM256   AEAD   TLSv1.2 256 HN
ARIA256-GCM-SHA384             RSA      RSA   ARIAGCM256  AEAD   TLSv1.2 256 HN
PSK-AES256-GCM-SHA384          PSK      PSK   AESGCM256   AEAD   TLSv1.2 256 HF
PSK-CHACHA20-POLY1305          PSK      PSK   CHACHA20    AEAD   TLSv1.2 256 H
PSK-AES256-CCM8                PSK      PSK   AESCCM8_256 AEAD   TLSv1.2 256 HN
PSK-AES256-CCM                 PSK      PSK   AESCCM256   AEAD   TLSv1.2 256 HN
PSK-ARIA256-GCM-SHA384         PSK      PSK   ARIAGCM256  AEAD   TLSv1.2 256 HN
RSA-PSK-AES128-GCM-SHA256      RSAPSK   RSA   AESGCM128   AEAD   TLSv1.2 128 HF
DHE-PSK-AES128-GCM-SHA256      DHEPSK   PSK   AESGCM128   AEAD   TLSv1.2 128 HF
DHE-PSK-AES128-CCM8            DHEPSK   PSK   AESCCM8_128 AEAD   TLSv1.2 128 HN
DHE-PSK-AES128-CCM             DHEPSK   PSK   AESCCM128   AEAD   TLSv1.2 128 HN
RSA-PSK-ARIA128-GCM-SHA256     RSAPSK   RSA   ARIAGCM128  AEAD   TLSv1.2 128 HN
DHE-PSK-ARIA128-GCM-SHA256     DHEPSK   PSK   ARIAGCM128  AEAD   TLSv1.2 128 HN
AES128-GCM-SHA256              RSA      RSA   AESGCM128   AEAD   TLSv1.2 128 HF
AES128-CCM8                    RSA      RSA   AESCCM8_128 AEAD   TLSv1.2 128 HN
AES128-CCM                     RSA      RSA   AESCCM128   AEAD   TLSv1.2 128 HN
ARIA128-GCM-SHA256             RSA      RSA   ARIAGCM128  AEAD   TLSv1.2 128 HN
PSK-AES128-GCM-SHA256          PSK      PSK   AESGCM128   AEAD   TLSv1.2 128 HF
PSK-AES128-CCM8                PSK      PSK   AESCCM8_128 AEAD   TLSv1.2 128 HN
PSK-AES128-CCM                 PSK      PSK   AESCCM128   AEAD   TLSv1.2 128 HN
PSK-ARIA128-GCM-SHA256         PSK      PSK   ARIAGCM128  AEAD   TLSv1.2 128 HN
AES256-SHA256                  RSA      RSA   AES256      SHA256 TLSv1.2 256 HF
CAMELLIA256-SHA256             RSA      RSA   CAMELLIA256 SHA256 TLSv1.2 256 HN
AES128-SHA256                  RSA      RSA   AES128      SHA256 TLSv1.2 128 HF
CAMELLIA128-SHA256             RSA      RSA   CAMELLIA128 SHA256 TLSv1.2 128 HN
NULL-SHA256                    RSA      RSA   NULL        SHA256 TLSv1.2   0 -
ECDHE-PSK-AES256-CBC-SHA384    ECDHEPSK PSK   AES256      SHA384 TLSv1   256 HF
ECDHE-PSK-AES256-CBC-SHA       ECDHEPSK PSK   AES256      SHA1   TLSv1   256 HF
SRP-DSS-AES-256-CBC-SHA        SRP      DSS   AES256      SHA1   SSLv3   256 HN
SRP-RSA-AES-256-CBC-SHA        SRP      RSA   AES256      SHA1   SSLv3   256 H
SRP-AES-256-CBC-SHA            SRP      SRP   AES256      SHA1   SSLv3   256 H
RSA-PSK-AES256-CBC-SHA384      RSAPSK   RSA   AES256      SHA384 TLSv1   256 HF
DHE-PSK-AES256-CBC-SHA384      DHEPSK   PSK   AES256      SHA384 TLSv1   256 HF
RSA-PSK-AES256-CBC-SHA         RSAPSK   RSA   AES256      SHA1   SSLv3   256 HF
DHE-PSK-AES256-CBC-SHA         DHEPSK   PSK   AES256      SHA1   SSLv3   256 HF
ECDHE-PSK-CAMELLIA256-SHA384   ECDHEPSK PSK   CAMELLIA256 SHA384 TLSv1   256 HN
RSA-PSK-CAMELLIA256-SHA384     RSAPSK   RSA   CAMELLIA256 SHA384 TLSv1   256 HN
DHE-PSK-CAMELLIA256-SHA384     DHEPSK   PSK   CAMELLIA256 SHA384 TLSv1   256 HN
AES256-SHA                     RSA      RSA   AES256      SHA1   SSLv3   256 HF
CAMELLIA256-SHA                RSA      RSA   CAMELLIA256 SHA1   SSLv3   256 HN
PSK-AES256-CBC-SHA384          PSK      PSK   AES256      SHA384 TLSv1   256 HF
PSK-AES256-CBC-SHA             PSK      PSK   AES256      SHA1   SSLv3   256 HF
PSK-CAMELLIA256-SHA384         PSK      PSK   CAMELLIA256 SHA384 TLSv1   256 HN
ECDHE-PSK-AES128-CBC-SHA256    ECDHEPSK PSK   AES128      SHA256 TLSv1   128 HF
ECDHE-PSK-AES128-CBC-SHA       ECDHEPSK PSK   AES128      SHA1   TLSv1   128 HF
SRP-DSS-AES-128-CBC-SHA        SRP      DSS   AES128      SHA1   SSLv3   128 HN
SRP-RSA-AES-128-CBC-SHA        SRP      RSA   AES128      SHA1   SSLv3   128 H
SRP-AES-128-CBC-SHA            SRP      SRP   AES128      SHA1   SSLv3   128 H
RSA-PSK-AES128-CBC-SHA256      RSAPSK   RSA   AES128      SHA256 TLSv1   128 HF
DHE-PSK-AES128-CBC-SHA256      DHEPSK   PSK   AES128      SHA256 TLSv1   128 HF
RSA-PSK-AES128-CBC-SHA         RSAPSK   RSA   AES128      SHA1   SSLv3   128 HF
DHE-PSK-AES128-CBC-SHA         DHEPSK   PSK   AES128      SHA1   SSLv3   128 HF
ECDHE-PSK-CAMELLIA128-SHA256   ECDHEPSK PSK   CAMELLIA128 SHA256 TLSv1   128 HN
RSA-PSK-CAMELLIA128-SHA256     RSAPSK   RSA   CAMELLIA128 SHA256 TLSv1   128 HN
DHE-PSK-CAMELLIA128-SHA256     DHEPSK   PSK   CAMELLIA128 SHA256 TLSv1   128 HN
AES128-SHA                     RSA      RSA   AES128      SHA1   SSLv3   128 HF
CAMELLIA128-SHA                RSA      RSA   CAMELLIA128 SHA1   SSLv3   128 HN
PSK-AES128-CBC-SHA256          PSK      PSK   AES128      SHA256 TLSv1   128 HF
PSK-AES128-CBC-SHA             PSK      PSK   AES128      SHA1   SSLv3   128 HF
PSK-CAMELLIA128-SHA256         PSK      PSK   CAMELLIA128 SHA256 TLSv1   128 HN
ECDHE-PSK-NULL-SHA384          ECDHEPSK PSK   NULL        SHA384 TLSv1     0 -
ECDHE-PSK-NULL-SHA256          ECDHEPSK PSK   NULL        SHA256 TLSv1     0 -
ECDHE-PSK-NULL-SHA             ECDHEPSK PSK   NULL        SHA1   TLSv1     0 -
RSA-PSK-NULL-SHA384            RSAPSK   RSA   NULL        SHA384 TLSv1     0 -
RSA-PSK-NULL-SHA256            RSAPSK   RSA   NULL        SHA256 TLSv1     0 -
DHE-PSK-NULL-SHA384            DHEPSK   PSK   NULL        SHA384 TLSv1     0 -
DHE-PSK-NULL-SHA256            DHEPSK   PSK   NULL        SHA256 TLSv1     0 -
RSA-PSK-NULL-SHA               RSAPSK   RSA   NULL        SHA1   SSLv3     0 -
DHE-PSK-NULL-SHA               DHEPSK   PSK   NULL        SHA1   SSLv3     0 -
NULL-SHA                       RSA      RSA   NULL        SHA1   SSLv3     0 -
NULL-MD5                       RSA      RSA   NULL        MD5    SSLv3     0 -
PSK-NULL-SHA384                PSK      PSK   NULL        SHA384 TLSv1     0 -
PSK-NULL-SHA256                PSK      PSK   NULL        SHA256 TLSv1     0 -
PSK-NULL-SHA                   PSK      PSK   NULL        SHA1   SSLv3     0 -
";

/// OpenSSL 3.0's cipher aliases (those its default provider enables): names | attributes
/// (k key exchange, a authentication, e encryption, m MAC, v protocol, s flags; `~X` = all but X).
const ALIASES: &str = "
ALL | e=~NULL; COMPLEMENTOFALL | e=NULL; COMPLEMENTOFDEFAULT | s=N; kRSA | k=RSA
kEDH kDHE DH | k=DHE; kEECDH kECDHE ECDH | k=ECDHE; kPSK | k=PSK; kRSAPSK | k=RSAPSK
kECDHEPSK | k=ECDHEPSK; kDHEPSK | k=DHEPSK; kSRP SRP | k=SRP; aRSA | a=RSA; aDSS DSS | a=DSS
aNULL | a=NULL; aECDSA ECDSA | a=ECDSA; aPSK | a=PSK; aSRP | a=SRP; EDH DHE | k=DHE a=~NULL
EECDH ECDHE | k=ECDHE a=~NULL; NULL eNULL | e=NULL; RSA | k=RSA a=RSA; ADH | k=DHE a=NULL
AECDH | k=ECDHE a=NULL; PSK | k=PSK,RSAPSK,ECDHEPSK,DHEPSK; 3DES | e=3DES
AES128 | e=AES128,AESGCM128,AESCCM128,AESCCM8_128
AES256 | e=AES256,AESGCM256,AESCCM256,AESCCM8_256
AES | e=AES128,AES256,AESGCM128,AESGCM256,AESCCM128,AESCCM256,AESCCM8_128,AESCCM8_256
AESGCM | e=AESGCM128,AESGCM256; AESCCM | e=AESCCM128,AESCCM256,AESCCM8_128,AESCCM8_256
AESCCM8 | e=AESCCM8_128,AESCCM8_256; CAMELLIA128 | e=CAMELLIA128; CAMELLIA256 | e=CAMELLIA256
CAMELLIA | e=CAMELLIA128,CAMELLIA256; CHACHA20 | e=CHACHA20
ARIA ARIAGCM | e=ARIAGCM128,ARIAGCM256; ARIA128 | e=ARIAGCM128; ARIA256 | e=ARIAGCM256
CBC | e=3DES,AES128,AES256,CAMELLIA128,CAMELLIA256; MD5 | m=MD5; SHA1 SHA | m=SHA1
SHA256 | m=SHA256; SHA384 | m=SHA384; SSLv3 | v=SSLv3; TLSv1 TLSv1.0 | v=TLSv1
TLSv1.2 | v=TLSv1.2; LOW | s=L; MEDIUM | s=M; HIGH | s=H; FIPS | e=~NULL s=F
EDH-RSA-DES-CBC3-SHA | k=DHE a=RSA e=3DES m=SHA1 s=HF
EDH-DSS-DES-CBC3-SHA | k=DHE a=DSS e=3DES m=SHA1 s=HF
";

/// Why rustls cannot offer a cipher: TABLE column, values = reason; `;`-separated.
const WHY: &str = "1 RSA=RSA key exchange;1 DHE=DHE key exchange;1 SRP=SRP;1 PSK RSAPSK DHEPSK ECDHEPSK=PSK;\
2 NULL=anonymous;2 DSS=DSA certificate;3 AES128 AES256=AES-CBC;3 CAMELLIA128 CAMELLIA256=Camellia-CBC;\
3 AESCCM128 AESCCM256 AESCCM8_128 AESCCM8_256=AES-CCM;3 ARIAGCM128 ARIAGCM256=ARIA;3 NULL=no encryption;3 3DES=3DES";

/// `SUITEB...` at the very start replaces the whole string (OpenSSL's Suite B modes).
const SUITEB: &str = "SUITEB128ONLY ECDHE-ECDSA-AES128-GCM-SHA256
SUITEB128C2 ECDHE-ECDSA-AES256-GCM-SHA384
SUITEB128 ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384
SUITEB192 ECDHE-ECDSA-AES256-GCM-SHA384";
/// What `DEFAULT` at the start of a string expands to in OpenSSL 3.
const DEFAULT_RULES: &str = "ALL:!COMPLEMENTOFDEFAULT:!eNULL";
/// mod_ssl appends this to every `SSLCipherSuite [SSL]` string.
const MOD_SSL_SUFFIX: &str = "!aNULL:!eNULL:!EXP";

/// `SSLCipherSuite [SSL] spec`: the TLS <= 1.2 suites to offer, in OpenSSL's order. Like mod_ssl,
/// `:!aNULL:!eNULL:!EXP` is applied after `spec`; Fedora's `PROFILE=SYSTEM` is read as `DEFAULT`.
/// Err on a syntax error, when OpenSSL would match no cipher at all, or when nothing rustls can
/// offer remains.
pub fn parse_tls12(spec: &str) -> Result<Suites, String> {
    let ev = evaluate(spec, true)?;
    let (mut tls12, mut groups) = (Vec::new(), vec![Vec::new(); ev.words.len()]);
    for (c, origin) in ev.active() {
        match pairs(RUSTLS12).find(|(o, _)| *o == c.row[0]) {
            Some((_, r)) => tls12.push(r),
            None => groups[origin].push(c),
        }
    }
    let words = ev.words.iter().zip(&groups).filter(|(_, g)| !g.is_empty());
    let mut not_offered: Vec<String> = words.map(|(w, g)| describe(w, g)).collect();
    not_offered.extend(ev.notes);
    if tls12.is_empty() {
        let all = not_offered.join(", ");
        return Err(format!(
            "it leaves nothing rustls implements (ECDHE with AES-GCM or ChaCha20-Poly1305 only): {all}"
        ));
    }
    Ok(Suites { tls12, not_offered })
}

/// `SSLCipherSuite TLSv1.3 spec`: colon-separated IANA names (`TLS_AES_128_GCM_SHA256`) mapped
/// to rustls names. Unknown names are ignored as OpenSSL does (noted); Err when no name is known
/// (OpenSSL refuses that too) or none can be offered. An empty spec gives an empty list, which as
/// with OpenSSL means TLS 1.3 cannot be negotiated.
pub fn parse_tls13(spec: &str) -> Result<(Vec<&'static str>, Vec<String>), String> {
    let (mut out, mut notes, mut known) = (Vec::new(), Vec::new(), false);
    if spec.is_empty() {
        notes.push("an empty TLS 1.3 list (TLS 1.3 cannot be negotiated)".to_string());
    }
    for item in spec.split(':').filter(|_| !spec.is_empty()) {
        let item = item.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
        if let Some((_, r)) = pairs(RUSTLS13).find(|(o, _)| *o == item) {
            known = true;
            out.extend(Some(r).filter(|r| !out.contains(r)));
        } else if OTHER13.contains(&item) {
            known = true;
            notes.push(format!("{item} (AES-CCM)"));
        } else if !item.is_empty() {
            notes.push(format!("{item} (ignored: not a TLS 1.3 suite)"));
        }
    }
    let all = notes.join(", ");
    match (known, out.is_empty()) {
        (false, _) if !spec.is_empty() => Err(format!("no TLS 1.3 cipher suite matched: {all}")),
        (true, true) => Err(format!("it names no suite rustls implements: {all}")),
        _ => Ok((out, notes)),
    }
}

/// The TLS 1.2 list when no SSLCipherSuite is written: everything rustls offers, in its order.
pub fn default_tls12() -> Vec<&'static str> {
    pairs(RUSTLS12).map(|(_, r)| r).collect()
}

/// The rustls names of the TLS 1.3 suites, in rustls' default order.
pub fn default_tls13() -> Vec<&'static str> {
    pairs(RUSTLS13).map(|(_, r)| r).collect()
}

/// The `A B` lines of a table, as (A, B).
fn pairs(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    table.lines().filter_map(|l| l.split_once(' '))
}

/// Why rustls cannot offer a cipher: its key exchange, authentication or encryption.
fn reasons(c: &Cipher) -> impl Iterator<Item = &'static str> + '_ {
    WHY.split(';').filter_map(|e| {
        let (cols, why) = e.split_once('=')?;
        let mut t = cols.split_whitespace();
        let col = c.row.get(t.next()?.parse::<usize>().ok()?)?;
        t.any(|v| v == *col).then_some(why)
    })
}

/// One not-offered entry: what a word of the string selected that rustls lacks, and why.
fn describe(word: &str, cs: &[&Cipher]) -> String {
    let mut why: Vec<&str> = cs.iter().flat_map(|c| reasons(c)).collect();
    why.sort_by_key(|r| WHY.find(r));
    why.dedup();
    let (why, n) = (why.join(", "), cs.len());
    let names: Vec<&str> = cs.iter().take(3).map(|c| c.row[0]).collect();
    let names = names.join(", ");
    match cs {
        [c] if c.row[0] == word => format!("{word} ({why})"),
        [_] | [_, _] | [_, _, _] => format!("{word} ({names}: {why})"),
        _ => format!("{word} ({n} suites: {why}; e.g. {names})"),
    }
}

/// OpenSSL's masks for a cipher or an alias: key exchange, authentication, encryption, MAC (bit
/// sets over KX, AU, ENC, MAC), minimum protocol (VER index + 1), strength flags; strength bits.
type Attrs = [u32; 7];
const KEYS: [&str; 7] = ["k", "a", "e", "m", "v", "s", "b"];
const NAMES: [&str; 4] = [KX, AU, ENC, MAC];

struct Cipher {
    /// The TABLE row: name, kx, au, enc, mac, version, strength bits, flags.
    row: [&'static str; 8],
    at: Attrs,
}

#[derive(Default)]
struct Model {
    ciphers: Vec<Cipher>,
    aliases: Vec<(&'static str, Attrs)>,
    /// Table entries that did not parse (a test keeps this empty).
    bad: Vec<&'static str>,
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut m = Model::default();
        for line in TABLE.lines().filter(|l| !l.trim().is_empty()) {
            let r: Vec<&str> = line.split_whitespace().collect();
            let row: Option<[&str; 8]> = r.try_into().ok();
            let vals = row.map(|r| [r[1], r[2], r[3], r[4], r[5], r[7], r[6]]);
            match (row, vals.and_then(|v| attrs(KEYS.into_iter().zip(v)))) {
                (Some(row), Some(at)) => m.ciphers.push(Cipher { row, at }),
                _ => m.bad.push(line),
            }
        }
        for entry in ALIASES.split([';', '\n']).filter(|l| !l.trim().is_empty()) {
            let (names, spec) = entry.split_once('|').unwrap_or(("", "?"));
            let kvs = spec
                .split_whitespace()
                .map(|kv| kv.split_once('=').unwrap_or((kv, "")));
            match attrs(kvs) {
                Some(at) => m.aliases.extend(names.split_whitespace().map(|n| (n, at))),
                None => m.bad.push(entry),
            }
        }
        m
    })
}

/// Attributes from `key=value` pairs; a value is `A,B` or `~A` (all but A), a VER, FLAGS or bits.
fn attrs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Option<Attrs> {
    let mut at = [0; 7];
    for (key, v) in pairs {
        let i = KEYS.iter().position(|k| *k == key)?;
        let flag = |b, c| Some(b | FLAGS.iter().find(|f| f.0 == c)?.1);
        at[i] = match (NAMES.get(i), i) {
            (Some(names), _) => {
                let (not, v) = v.strip_prefix('~').map_or((0, v), |v| (!0, v));
                let mut each = v.split(',').map(|n| names.split(' ').position(|x| x == n));
                not ^ each.try_fold(0, |b, i| Some(b | 1 << i?))?
            }
            (_, 4) => VER.split(' ').position(|x| x == v)? as u32 + 1,
            (_, 5) => v.chars().try_fold(0, flag)?,
            _ => v.parse().ok()?,
        };
    }
    Some(at)
}

/// A rule's selector: OpenSSL's masks ANDed over the parts of `A+B`, and a cipher's id.
#[derive(Default)]
struct Sel {
    id: Option<usize>,
    at: Attrs,
}

impl Sel {
    /// ANDs one part in (as ssl_cipher_process_rulestr); false when it can match nothing.
    fn and(&mut self, id: Option<usize>, p: &Attrs) -> bool {
        let s = &mut self.at;
        for (cur, &new) in s.iter_mut().zip(p).take(4).filter(|(_, new)| **new != 0) {
            *cur = if *cur != 0 { *cur & new } else { new };
            if *cur == 0 {
                return false;
            }
        }
        let strong = p[5] & STRONG;
        if strong != 0 {
            if s[5] & STRONG == 0 {
                s[5] = strong; // as OpenSSL: this drops an earlier COMPLEMENTOFDEFAULT
            }
            s[5] &= strong | !STRONG;
            if s[5] & STRONG == 0 {
                return false;
            }
        }
        s[5] |= p[5] & NOT_DEFAULT;
        match id {
            Some(_) => self.id = id, // a cipher name: its protocol is not part of the pattern
            None if p[4] != 0 && s[4] != 0 && s[4] != p[4] => return false,
            None => s[4] = s[4].max(p[4]),
        }
        true
    }

    fn matches(&self, i: usize, c: &Cipher) -> bool {
        let (s, t) = (&self.at, &c.at);
        self.id.is_none_or(|id| id == i)
            && s.iter().zip(t).take(4).all(|(s, t)| *s == 0 || s & t != 0)
            && (s[4] == 0 || s[4] == t[4])
            && (s[5] & STRONG == 0 || s[5] & STRONG & t[5] != 0)
            && (s[5] & NOT_DEFAULT == 0 || t[5] & NOT_DEFAULT != 0)
    }
}

/// OpenSSL's cipher list while a string is processed: every cipher not killed, in order, with
/// the index in `words` of the word that added it when it is active.
#[derive(Default)]
struct Eval {
    list: Vec<(usize, Option<usize>)>,
    words: Vec<String>,
    notes: Vec<String>,
}

/// Evaluates an OpenSSL cipher string (plus mod_ssl's suffix when `mod_ssl`).
fn evaluate(spec: &str, mod_ssl: bool) -> Result<Eval, String> {
    let list = (0..model().ciphers.len()).map(|c| (c, None)).collect();
    let mut ev = Eval {
        list,
        ..Eval::default()
    };
    let mut rules = spec;
    if let Some((p, r)) = pairs(SUITEB).find(|(p, _)| spec.starts_with(p)) {
        ev.notes
            .push(format!("{p} (Suite B limits on curves are not applied)"));
        rules = r;
    }
    // DEFAULT only counts at the start; Fedora/RHEL's PROFILE=SYSTEM is taken to mean it too.
    let default = ["DEFAULT", "PROFILE=SYSTEM"]
        .into_iter()
        .find(|p| rules.starts_with(p));
    if let Some(p) = default {
        if p != "DEFAULT" {
            ev.notes.push(format!(
                "{p} (taken as DEFAULT: the system policy is not read)"
            ));
        }
        ev.process(DEFAULT_RULES, Some(p))?;
        let rest = rules.get(p.len()..).unwrap_or("");
        rules = rest.strip_prefix(':').unwrap_or(rest);
    }
    ev.process(rules, None)?;
    if mod_ssl {
        ev.process(MOD_SSL_SUFFIX, Some(""))?;
    }
    if ev.active().next().is_none() {
        let all: String = ev.notes.iter().map(|n| format!(": {n}")).collect();
        return Err(format!(
            "no cipher matched (OpenSSL refuses this string too){all}"
        ));
    }
    Ok(ev)
}

fn is_sep(b: u8) -> bool {
    matches!(b, b':' | b' ' | b';' | b',')
}

impl Eval {
    /// The active ciphers in order, with the index in `words` of what added each.
    fn active(&self) -> impl Iterator<Item = (&'static Cipher, usize)> + '_ {
        self.list
            .iter()
            .filter_map(|&(c, by)| Some((model().ciphers.get(c)?, by?)))
    }

    /// ssl_cipher_process_rulestr. `label` (text the user did not write) names what it adds
    /// and silences notes.
    fn process(&mut self, rules: &str, label: Option<&str>) -> Result<(), String> {
        let b = rules.as_bytes();
        let word_end = |mut l: usize, word: fn(u8) -> bool| {
            while l < b.len() && word(b[l]) {
                l += 1;
            }
            l
        };
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b"-.=".contains(&b);
        let mut l = 0;
        while l < b.len() {
            // The rule: `-` delete, `+` move to the end, `!` kill, `@` command, 0 add.
            let rule = if b"-+!@".contains(&b[l]) { b[l] } else { 0 };
            let sep = is_sep(b[l]);
            l += usize::from(rule != 0 || sep);
            if sep {
                continue;
            }
            let (start, mut sel, mut found, mut unknown) = (l, Sel::default(), false, false);
            let mut part;
            loop {
                let p = l;
                l = word_end(l, is_word);
                part = rules.get(p..l).unwrap_or("");
                if part.is_empty() {
                    let near = rules.get(p..).unwrap_or("");
                    return Err(format!("syntax error in cipher string at \"{near:.12}\""));
                } else if rule == b'@' {
                    break;
                }
                let multi = b.get(l) == Some(&b'+');
                l += usize::from(multi);
                sel.id = None;
                let hit = self.lookup(part);
                unknown |= hit.is_none();
                found = hit.is_some_and(|(id, at)| sel.and(id, &at));
                if !found || !multi {
                    break;
                }
            }
            let word = rules.get(start..l).unwrap_or("");
            if rule != b'@' && found {
                self.words.push(label.unwrap_or(word).to_string());
                self.apply(rule, &sel, self.words.len() - 1);
                continue;
            }
            l = word_end(l, |b| !is_sep(b));
            let word = rules.get(start..l).unwrap_or("");
            let level = part.strip_prefix("SECLEVEL=").filter(|d| d.len() == 1);
            let note = match (rule, level.and_then(|d| d.parse::<u8>().ok())) {
                (b'@', _) if part == "STRENGTH" => {
                    self.strength_sort();
                    continue;
                }
                (b'@', Some(0..=5)) => "rustls applies its own minimum strengths",
                (b'@', _) => return Err(format!("unknown command \"@{part}\"")),
                _ if pairs(RUSTLS13).any(|(n, _)| n == word) || OTHER13.contains(&word) => {
                    "a TLS 1.3 suite: those are set with SSLCipherSuite TLSv1.3"
                }
                _ if word.starts_with("TLS_") => "IANA names are not accepted here",
                _ if unknown => "not a cipher or alias OpenSSL 3 knows",
                _ => "its parts match no cipher together",
            };
            let at = if rule == b'@' { "@" } else { "" };
            if label.is_none() {
                self.notes.push(format!("{at}{word} (ignored: {note})"));
            }
        }
        Ok(())
    }

    /// A word: a cipher name (its id and attributes) or an alias.
    fn lookup(&self, w: &str) -> Option<(Option<usize>, Attrs)> {
        let m = model();
        if let Some(i) = m.ciphers.iter().position(|c| c.row[0] == w) {
            return Some((Some(i), m.ciphers[i].at));
        }
        m.aliases.iter().find(|a| a.0 == w).map(|a| (None, a.1))
    }

    /// ssl_cipher_apply_rule: add (activate and move to the end), kill (drop for good), delete
    /// (deactivate and move to the front, order kept for re-adding), order (move to the end).
    fn apply(&mut self, rule: u8, sel: &Sel, origin: usize) {
        let (mut moved, mut kept) = (Vec::new(), Vec::new());
        for (c, on) in std::mem::take(&mut self.list) {
            match (rule, on) {
                _ if !sel.matches(c, &model().ciphers[c]) => kept.push((c, on)),
                (b'!', _) => {}
                (0, None) => moved.push((c, Some(origin))),
                (b'-', Some(_)) => moved.push((c, None)),
                (b'+', Some(_)) => moved.push((c, on)),
                _ => kept.push((c, on)),
            }
        }
        if rule == b'-' {
            (kept, moved) = (moved, kept);
        }
        kept.append(&mut moved);
        self.list = kept;
    }

    /// `@STRENGTH`: the active ciphers move to the end, by strength bits descending (stable).
    fn strength_sort(&mut self) {
        let list = std::mem::take(&mut self.list).into_iter();
        let (mut off, mut on): (Vec<_>, Vec<_>) = list.partition(|e| e.1.is_none());
        on.sort_by_key(|e| std::cmp::Reverse(model().ciphers[e.0].at[6]));
        off.append(&mut on);
        self.list = off;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// `spec => what openssl 3.0.19 ciphers lists of the rustls suites` (ERR: no usable suite).
    const CASES: &str = "
HIGH:!aNULL => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
HIGH:!aNULL:!MD5 => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
HIGH:MEDIUM:!MD5:!RC4:!3DES => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384 => ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305
ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305 => ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256 => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA:ECDHE-ECDSA-DES-CBC3-SHA:ECDHE-RSA-DES-CBC3-SHA:EDH-RSA-DES-CBC3-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:DES-CBC3-SHA:!DSS => ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384
ALL:!ADH:!EXPORT:!SSLv2:RC4+RSA:+HIGH:+MEDIUM => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
DEFAULT => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
DEFAULT:!ECDSA:@STRENGTH => ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-RSA-AES128-GCM-SHA256
AES256+EECDH:AES256+EDH => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384
EECDH+AESGCM:EDH+AESGCM => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:RSA+AESGCM:RSA+AES:RSA+3DES:!aNULL:!MD5:!DSS => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
HIGH:!aNULL:!kRSA:!PSK:!SRP:!MD5:!RC4 => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
kRSA => ERR
!ECDHE => ERR
COMPLEMENTOFDEFAULT => ERR
ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:@STRENGTH => ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES128-GCM-SHA256
AESGCM:CHACHA20:@STRENGTH => ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
ECDHE+AES128:ECDHE+AES256:@STRENGTH:+ECDSA => ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES128-GCM-SHA256
ECDHE:-ECDSA:ECDHE+ECDSA:+CHACHA20 => ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-CHACHA20-POLY1305
-ALL:ECDHE+CHACHA20:ALL:-AES128:AES => ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
COMPLEMENTOFDEFAULT+HIGH:!ECDSA => ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-RSA-AES128-GCM-SHA256
aRSA,aECDSA;!SHA1 !SHA256 !SHA384 => ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256
FOO:ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256:@SECLEVEL=2 => ECDHE-RSA-AES128-GCM-SHA256
HIGH!aNULL!kDHE:-AESGCM:AES128+ECDHE => ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-GCM-SHA256
SUITEB128 => ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384
HIGH_X => ERR
ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=9 => ERR
";

    fn cases() -> impl Iterator<Item = (&'static str, &'static str)> {
        CASES.lines().filter_map(|l| l.split_once(" => "))
    }

    fn iana(openssl: &str) -> Vec<&'static str> {
        let find = |n| pairs(RUSTLS12).find(|(o, _)| *o == n).map(|(_, r)| r);
        openssl.split([' ', ':']).filter_map(find).collect()
    }

    fn err(spec: &str) -> String {
        parse_tls12(spec).err().unwrap_or_default()
    }

    fn notes(spec: &str) -> Vec<String> {
        parse_tls12(spec).map(|s| s.not_offered).unwrap_or_default()
    }

    #[test]
    fn tables_parse_completely() {
        let m = model();
        assert!(m.bad.is_empty(), "{:?}", m.bad);
        assert_eq!((m.ciphers.len(), m.aliases.len()), (155, 65));
        let offered: Vec<&str> = pairs(RUSTLS12).map(|(o, _)| o).collect();
        assert_eq!(iana(&offered.join(" ")), default_tls12());
    }

    #[test]
    fn orders_match_openssl_output() {
        for (spec, want) in cases() {
            match (parse_tls12(spec), want) {
                (Err(_), "ERR") => {}
                (Ok(s), _) => assert_eq!(s.tls12, iana(want), "{spec}"),
                (Err(e), _) => panic!("{spec}: {e}"),
            }
        }
        let system = parse_tls12("PROFILE=SYSTEM:!ECDSA").map(|s| s.tls12);
        assert_eq!(system, parse_tls12("DEFAULT:!ECDSA").map(|s| s.tls12));
    }

    #[test]
    fn explains_what_is_not_offered() {
        let certbot = notes(cases().nth(3).map_or("", |c| c.0)).join(", ");
        let dhe = "DHE-RSA-AES128-GCM-SHA256 (DHE key exchange), DHE-RSA-AES256-GCM-SHA384 (DHE";
        assert!(certbot.starts_with(dhe), "{certbot}");
        let debian =
            "HIGH (119 suites: RSA key exchange, DHE key exchange, SRP, PSK, DSA certificate";
        assert!(notes("HIGH:!aNULL")[0].starts_with(debian));
        let n =
            notes("FOO:ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256:@SECLEVEL=2:AES128-SHA");
        assert_eq!(n[0], "AES128-SHA (RSA key exchange, AES-CBC)");
        assert!(n[1].starts_with("FOO (ignored: not a cipher") && n[2].contains("TLSv1.3"));
        assert!(n[3].starts_with("@SECLEVEL=2 (ignored"), "{n:?}");
        assert!(notes("DEFAULT")[0].starts_with(
            "DEFAULT (51 suites: RSA key exchange, DHE key exchange, SRP, PSK, AES-CBC;"
        ));
    }

    #[test]
    fn errors_say_why() {
        assert!(err("kRSA").starts_with("it leaves nothing rustls implements"));
        assert!(err("kRSA").contains("kRSA (16 suites: RSA key exchange"));
        assert!(err("!ECDHE").starts_with("no cipher matched"));
        assert!(err("BOGUS").contains("BOGUS (ignored: not a cipher"));
        assert!(err("HIGH_X").contains("syntax error") && err("HIGH+").contains("syntax"));
        assert!(err("@X").contains("unknown command \"@X\""));
        let conflict = err("ECDHE-RSA-AES128-GCM-SHA256+AES128-SHA");
        assert!(
            conflict.contains("parts match no cipher together"),
            "{conflict}"
        );
    }

    #[test]
    fn tls13_lists() {
        let ok = |s| parse_tls13(s).map(|r| r.0);
        let all = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";
        let want = ["TLS13_AES_256_GCM_SHA384", "TLS13_AES_128_GCM_SHA256"];
        assert_eq!(ok(all).map(|v| v[..2].to_vec()), Ok(want.to_vec()));
        let chacha = " TLS_CHACHA20_POLY1305_SHA256 :TLS_AES_128_CCM_SHA256:FOO:TLS_CHACHA20_POLY1305_SHA256";
        assert_eq!(ok(chacha), Ok(vec!["TLS13_CHACHA20_POLY1305_SHA256"]));
        let ccm = parse_tls13("TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_8_SHA256").map(|r| r.1);
        assert_eq!(
            ccm,
            Ok(vec!["TLS_AES_128_CCM_8_SHA256 (AES-CCM)".to_string()])
        );
        for bad in [
            "TLS_AES_128_CCM_SHA256",
            "tls_aes_128_gcm_sha256",
            " ",
            "TLS13_AES_128_GCM_SHA256",
        ] {
            assert!(parse_tls13(bad).is_err(), "{bad}");
        }
        assert!(parse_tls13("TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384").is_err());
        assert_eq!(ok(""), Ok(vec![]));
    }

    /// `openssl ciphers SPEC`'s TLS <= 1.2 names; None when no upstream OpenSSL 3 is installed.
    fn openssl(spec: &str) -> Option<Result<Vec<String>, ()>> {
        let run = |args: &[&str]| Command::new("/usr/bin/openssl").args(args).output().ok();
        static UPSTREAM: OnceLock<bool> = OnceLock::new();
        let upstream = UPSTREAM.get_or_init(|| {
            let v = run(&["version"]).map(|o| o.stdout).unwrap_or_default();
            let patched = run(&["ciphers", "PROFILE=SYSTEM"]).is_none_or(|o| o.status.success());
            v.starts_with(b"OpenSSL 3.") && !patched
        });
        let out = run(&["ciphers", "--", spec]).filter(|_| *upstream)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let names = text.trim().split(':').filter(|n| !n.starts_with("TLS_"));
        let names = names.map(String::from).collect();
        Some(Some(names).filter(|_| out.status.success()).ok_or(()))
    }

    #[test]
    fn whole_lists_match_installed_openssl() {
        let m = model();
        let names: Vec<&str> = m.ciphers.iter().rev().map(|c| c.row[0]).collect();
        let mut specs: Vec<String> = cases().map(|c| c.0.to_string()).collect();
        specs.extend(m.aliases.iter().map(|a| a.0.to_string()));
        specs.extend([
            names.join(":"),
            "ALL:COMPLEMENTOFALL:-NULL:NULL:@STRENGTH".into(),
        ]);
        let some = "HIGH aRSA ECDHE DHE AES128 CHACHA20 SHA256 TLSv1 PSK COMPLEMENTOFDEFAULT";
        for a in some.split(' ') {
            for b in some.split(' ') {
                specs.push(format!("{a}+{b}:{b}"));
                specs.push(format!("ALL:COMPLEMENTOFALL:-{a}:+{b}:{a}:!{b}+SHA1"));
            }
        }
        for spec in &specs {
            let Some(want) = openssl(spec) else { return };
            let names = |ev: Eval| ev.active().map(|c| c.0.row[0].to_string()).collect();
            let got: Result<Vec<String>, _> = evaluate(spec, false).map(names);
            assert_eq!(got.map_err(|_| ()), want, "{spec}");
        }
    }
}
