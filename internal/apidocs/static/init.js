// Starts Swagger UI on Latchkey's generated OpenAPI document. Kept in its own
// file because the site's Content-Security-Policy allows no inline script.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Tokens stay in memory: a reload logs the reader out of the page.
    persistAuthorization: false,
  });
});
