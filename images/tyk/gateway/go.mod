// Tyk gateway 2.9.4: github.com/TykTechnologies/tyk v2.9.4+incompatible, which the Go module
// proxy serves (the Tyk 3, 4 and 5 versions tried are refused; see ../README.md). Tyk 2.9.4 has
// no go.mod: every version below is pinned by hand to one that the proxy serves and that compiles
// with Tyk's code of 2020 (newer majors of several of them changed their API). go.sum is
// committed; the image resolver builds with -mod=readonly, so nothing is resolved anew. To change
// a pin: edit it here, run `GOTOOLCHAIN=local go mod tidy`, commit go.mod and go.sum together.
module azora.dev/devstack/tyk-gateway

go 1.26.0

require github.com/TykTechnologies/tyk v2.9.4+incompatible

require (
	github.com/Jeffail/gabs v1.4.0 // indirect
	github.com/Masterminds/goutils v1.1.1 // indirect
	github.com/Masterminds/semver v1.5.0 // indirect
	github.com/TykTechnologies/again v0.0.0-20190805133618-6ad301e7eaed // indirect
	github.com/TykTechnologies/circuitbreaker v2.2.2+incompatible // indirect
	github.com/TykTechnologies/drl v0.0.0-20190905191955-cc541aa8e3e1 // indirect
	github.com/TykTechnologies/goautosocket v0.0.0-20190430121222-97bfa5e7e481 // indirect
	github.com/TykTechnologies/gojsonschema v0.0.0-20170222154038-dcb3e4bb7990 // indirect
	github.com/TykTechnologies/gorpc v0.0.0-20190515174534-b9c10befc5f4 // indirect
	github.com/TykTechnologies/goverify v0.0.0-20220808203004-1486f89e7708 // indirect
	github.com/TykTechnologies/leakybucket v0.0.0-20170301023702-71692c943e3c // indirect
	github.com/TykTechnologies/murmur3 v0.0.0-20180602122059-1915e687e465 // indirect
	github.com/TykTechnologies/openid2go v0.0.0-20200312160651-00c254a52b19 // indirect
	github.com/agext/levenshtein v1.2.2 // indirect
	github.com/alecthomas/template v0.0.0-20160405071501-a0175ee3bccc // indirect
	github.com/alecthomas/units v0.0.0-20151022065526-2efee857e7cf // indirect
	github.com/apparentlymart/go-textseg v1.0.0 // indirect
	github.com/bshuster-repo/logrus-logstash-hook v0.4.1 // indirect
	github.com/buger/jsonparser v1.1.1 // indirect
	github.com/cenk/backoff v2.2.1+incompatible // indirect
	github.com/certifi/gocertifi v0.0.0-20210507211836-431795d63e8d // indirect
	github.com/clbanning/mxj v1.8.4 // indirect
	github.com/codahale/hdrhistogram v0.0.0-20161010025455-3a0bb77429bd // indirect
	github.com/dgrijalva/jwt-go v3.2.0+incompatible // indirect
	github.com/emanoelxavier/openid2go v0.0.0-20190718021401-6345b638bfc9 // indirect
	github.com/evalphobia/logrus_sentry v0.8.2 // indirect
	github.com/facebookgo/clock v0.0.0-20150410010913-600d898af40a // indirect
	github.com/franela/goblin v0.0.0-20210519012713-85d372ac71e2 // indirect
	github.com/franela/goreq v0.0.0-20171204163338-bcd34c9993f8 // indirect
	github.com/gemnasium/logrus-graylog-hook v2.0.7+incompatible // indirect
	github.com/getsentry/raven-go v0.2.0 // indirect
	github.com/go-redis/redis v6.15.9+incompatible // indirect
	github.com/gocraft/health v0.0.0-20170925182251-8675af27fef0 // indirect
	github.com/golang/protobuf v1.4.2 // indirect
	github.com/google/uuid v1.1.1 // indirect
	github.com/gorilla/mux v1.8.0 // indirect
	github.com/gorilla/websocket v1.4.2 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.0.0 // indirect
	github.com/hashicorp/hcl/v2 v2.3.0 // indirect
	github.com/hashicorp/hil v0.0.0-20190212112733-ab17b08d6590 // indirect
	github.com/hashicorp/terraform v0.12.29 // indirect
	github.com/huandu/xstrings v1.3.2 // indirect
	github.com/imdario/mergo v0.3.12 // indirect
	github.com/jeffail/tunny v0.0.0-20171107125207-452a8e97d6a3 // indirect
	github.com/justinas/alice v0.0.0-20171023064455-03f45bd4b7da // indirect
	github.com/kelseyhightower/envconfig v1.4.0 // indirect
	github.com/konsorten/go-windows-terminal-sequences v1.0.1 // indirect
	github.com/lonelycode/go-uuid v0.0.0-20141202165402-ed3ca8a15a93 // indirect
	github.com/lonelycode/osin v0.0.0-20160423095202-da239c9dacb6 // indirect
	github.com/mattn/go-colorable v0.1.1 // indirect
	github.com/mattn/go-isatty v0.0.5 // indirect
	github.com/mavricknz/asn1-ber v0.0.0-20151103223136-b9df1c2f4213 // indirect
	github.com/mavricknz/ldap v0.0.0-20160227184754-f5a958005e43 // indirect
	github.com/mgutz/ansi v0.0.0-20200706080929-d51e80ef957d // indirect
	github.com/miekg/dns v1.0.14 // indirect
	github.com/mitchellh/copystructure v1.0.0 // indirect
	github.com/mitchellh/go-wordwrap v1.0.0 // indirect
	github.com/mitchellh/mapstructure v1.4.1 // indirect
	github.com/mitchellh/reflectwalk v1.0.0 // indirect
	github.com/newrelic/go-agent v2.13.0+incompatible // indirect
	github.com/opentracing/opentracing-go v1.1.0 // indirect
	github.com/openzipkin/zipkin-go v0.2.2 // indirect
	github.com/oschwald/maxminddb-golang v1.5.0 // indirect
	github.com/paulbellamy/ratecounter v0.2.0 // indirect
	github.com/peterbourgon/g2s v0.0.0-20170223122336-d4e7ad98afea // indirect
	github.com/pires/go-proxyproto v0.0.0-20190615163442-2c19fd512994 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/pmylund/go-cache v2.1.0+incompatible // indirect
	github.com/robertkrimen/otto v0.0.0-20180617131154-15f95af6e78d // indirect
	github.com/rs/cors v1.7.0 // indirect
	github.com/satori/go.uuid v1.2.0 // indirect
	github.com/sirupsen/logrus v1.4.2 // indirect
	github.com/square/go-jose v2.4.1+incompatible // indirect
	github.com/uber-go/atomic v1.4.0 // indirect
	github.com/uber/jaeger-client-go v2.19.0+incompatible // indirect
	github.com/uber/jaeger-lib v2.2.0+incompatible // indirect
	github.com/x-cray/logrus-prefixed-formatter v0.5.2 // indirect
	github.com/xeipuuv/gojsonpointer v0.0.0-20180127040702-4e3ac2762d5f // indirect
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415 // indirect
	github.com/xeipuuv/gojsonschema v1.2.0 // indirect
	github.com/xenolf/lego v0.3.2-0.20170618175828-28ead50ff1ca // indirect
	github.com/zclconf/go-cty v1.2.1 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/time v0.0.0-20200630173020-3af7569d3a1e // indirect
	google.golang.org/appengine v1.6.1 // indirect
	google.golang.org/genproto v0.0.0-20190819201941-24fa4b261c55 // indirect
	google.golang.org/grpc v1.29.1 // indirect
	google.golang.org/protobuf v1.23.0 // indirect
	gopkg.in/Masterminds/sprig.v2 v2.22.0 // indirect
	gopkg.in/alecthomas/kingpin.v2 v2.2.6 // indirect
	gopkg.in/mgo.v2 v2.0.0-20190816093944-a6b53ec6cb22 // indirect
	gopkg.in/sourcemap.v1 v1.0.5 // indirect
	gopkg.in/square/go-jose.v1 v1.1.2 // indirect
	gopkg.in/square/go-jose.v2 v2.6.0 // indirect
	gopkg.in/vmihailenco/msgpack.v2 v2.9.1 // indirect
	gopkg.in/xmlpath.v2 v2.0.0-20150820204837-860cbeca3ebc // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
	rsc.io/letsencrypt v0.0.2 // indirect
)

// Tyk 2.9 imports the lower-case path and the tunny API of 2017 (CreatePool).
replace github.com/jeffail/tunny => github.com/Jeffail/tunny v0.0.0-20171107125207-452a8e97d6a3

// The proxy refuses gopkg.in/Masterminds/sprig.v2; the same code is served under its GitHub path.
replace gopkg.in/Masterminds/sprig.v2 => github.com/Masterminds/sprig v2.22.0+incompatible
