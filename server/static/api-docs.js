// The API documentation: Swagger UI (vendored, see server/static/vendor/VERSIONS) reading our own OpenAPI
// document. Kept in a file, not inline, so the Content-Security-Policy can forbid inline scripts.
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // never send the document to a validator on another host
  });
})();
