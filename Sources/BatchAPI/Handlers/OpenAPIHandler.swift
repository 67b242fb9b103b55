/// `GET /v1/openapi.yaml`: the OpenAPI 3.1 contract (Sources/BatchAPI/Contract),
/// compiled into the binary so it always describes the server that serves it.
public enum OpenAPIHandler {
    public static func handle(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [("Content-Type", "application/yaml; charset=utf-8"), ("Cache-Control", "public, max-age=300")],
            body: PackageResources.openapi_yaml)
    }
}
