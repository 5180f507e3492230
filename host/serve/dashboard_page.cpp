#include "host/serve/dashboard_page.h"

#include <httplib.h>

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

void serve_web_asset(const httplib::Request& req, httplib::Response& res) {
  const WebAsset* asset = find_web_asset(req.path);
  if (!asset) {
    res.status = 404;
    return;
  }
  const std::string etag(asset->etag);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", etag);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (asset->path == "/") res.set_header("Content-Security-Policy", kPagePolicy);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
}

}  // namespace clickagg::serve
