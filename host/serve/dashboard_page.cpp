#include "host/serve/dashboard_page.h"


namespace clickagg::serve {

namespace {
// The page may load only its own files and call only its own API.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}  // namespace

const WebAsset* find_web_asset(std::string_view path) {
  for (const WebAsset& asset : embedded_web_assets())
    if (asset.path == path) return &asset;
  return nullptr;
}

http::HttpResponse serve_web_asset(const WebAsset& asset, const http::HttpRequest& req) {
  http::HttpResponse res;
  res.headers = {{"Cache-Control", "no-cache"}, {"ETag", std::string(asset.etag)}, {"X-Content-Type-Options", "nosniff"}};
  if (asset.path == "/") res.headers.emplace_back("Content-Security-Policy", kPagePolicy);
  if (req.header("If-None-Match") == asset.etag) {
    res.status = 304;
    return res;
  }
  res.content_type = std::string(asset.content_type);
  res.body = std::string(asset.body);
  return res;
}

}  // namespace clickagg::serve
