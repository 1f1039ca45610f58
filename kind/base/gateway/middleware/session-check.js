// Revocation check for Tyk 2.9.4 (JSVM, otto: ECMAScript 5 only). See README.md.
//
// Tyk verifies a session JWT's signature and expiry; it cannot know that the session was logged
// out or refreshed away (session-service deletes Redis key session:<jti>). This middleware asks
// session-service, with the caller's own Authorization header, whether the session still lives:
//   200 -> pass;  401 -> refuse 401;  anything else, or no answer -> refuse 503 (fail closed).
// It asks through config_data.session_check.url, this gateway's internal API on port 8181
// (apis/session-check.json), because TykMakeHttpRequest has no timeout and a JS middleware that
// runs past jsvm_timeout lets the request through: the internal API times out after 2 s instead.
// Routes listed in config_data.session_check.public (the same routes the API definition lists in
// extended_paths.ignored) carry no session and are not checked.
var sessionCheck = new TykJS.TykMiddleware.NewMiddleware({});

function sessionCheckRefuse(request, code, message) {
  request.ReturnOverrides.ResponseCode = code;
  request.ReturnOverrides.ResponseError = message;
  request.ReturnOverrides.ResponseHeaders =
    code === 401 ? { "WWW-Authenticate": 'Bearer error="invalid_token"' } : { "Retry-After": "1" };
  return sessionCheck.ReturnData(request, {});
}

sessionCheck.NewProcessRequest(function (request, session, spec) {
  var conf = (spec.config_data && spec.config_data.session_check) || {};
  var path = request.URL.split("?")[0];
  var routes = conf.public || [];
  for (var i = 0; i < routes.length; i++) {
    if (routes[i].method === request.Method && new RegExp(routes[i].path).test(path)) {
      return sessionCheck.ReturnData(request, {});
    }
  }

  var auth = request.Headers.Authorization;
  if (!auth || !auth[0]) return sessionCheckRefuse(request, 401, "Authorization field missing");
  if (!conf.url) return sessionCheckRefuse(request, 503, "Session check is not configured");

  var raw = TykMakeHttpRequest(
    JSON.stringify({
      Method: "GET",
      Domain: conf.url,
      Resource: "",
      Headers: { Authorization: auth[0] }
    })
  );
  if (!raw) {
    log("session-check: session-service unreachable");
    return sessionCheckRefuse(request, 503, "Session service unavailable");
  }
  var code = JSON.parse(raw).Code;
  if (code === 200) return sessionCheck.ReturnData(request, {});
  if (code === 401) return sessionCheckRefuse(request, 401, "Session has ended");
  log("session-check: session-service answered " + code);
  return sessionCheckRefuse(request, 503, "Session service unavailable");
});
