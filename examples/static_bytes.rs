//! The ceiling a page is measured against: a bare actix-web server that answers every GET with
//! the same bytes, read once from a file, with the same content type and `no-store` header as
//! focusboard sends. Used by `bench/pages.py`; loopback only.
//!
//! Usage: static_bytes FILE CONTENT-TYPE PORT

use actix_web::{web, App, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, content_type, port] = args.as_slice() else {
        eprintln!("usage: static_bytes FILE CONTENT-TYPE PORT");
        std::process::exit(2);
    };
    let body = web::Bytes::from(std::fs::read(file)?);
    let content_type = content_type.clone();
    let port: u16 = port.parse().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    HttpServer::new(move || {
        let (body, content_type) = (body.clone(), content_type.clone());
        App::new().default_service(web::to(move || {
            let (body, content_type) = (body.clone(), content_type.clone());
            async move {
                HttpResponse::Ok()
                    .insert_header(("content-type", content_type))
                    .insert_header(("cache-control", "no-store"))
                    .body(body)
            }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
