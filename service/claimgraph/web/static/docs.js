// Swagger UI on our own OpenAPI document; validatorUrl null keeps it from calling an outside validator.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: false });
