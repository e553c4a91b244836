#include "ctl_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static size_t collect(char *data, size_t size, size_t n, void *ud) {
  sb_append(ud, data, size * n);
  return size * n;
}

long ctl_request(const char *socket_path, const char *method, const char *path,
                 strbuf *body, char *err, size_t errlen) {
  char url[256];
  long status = -1;
  CURL *c = curl_easy_init();
  if (!c) {
    snprintf(err, errlen, "cannot initialise libcurl");
    return -1;
  }
  snprintf(url, sizeof(url), "http://localhost%s", path);
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "POST") == 0) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  else
    snprintf(err, errlen, "cannot reach stratusd at %s: %s", socket_path,
             curl_easy_strerror(rc));
  curl_easy_cleanup(c);
  return status;
}
