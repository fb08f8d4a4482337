//! `Transfer` for an engine, in SQL both engines understand; what differs (how a snapshot
//! begins, where the next generated id is kept, how the audit triggers are paused) comes from
//! the engine's `SqlEngine` (`sql/engine.rs`) constants.

/// Implements `Transfer` for an engine's store (`$store`, an
/// `SqlEngine` (`sql/engine.rs`) over `$db`).
macro_rules! transfer_impl {
    ($store:ty, $db:ty) => {
        mod transfer_sql {
            use super::*;
            use sqlx::Row;
            use $crate::store::sql::engine::SqlEngine;
            use $crate::store::transfer::{Cell, Kind, Loader, Snapshot, Table, Transfer};
            use $crate::store::StoreResult;

            pub struct EngineSnapshot(sqlx::Transaction<'static, $db>);
            pub struct EngineLoader(sqlx::Transaction<'static, $db>);

            async fn count(
                connection: &mut <$db as sqlx::Database>::Connection,
                table: &Table,
            ) -> StoreResult<i64> {
                let sql = format!("SELECT COUNT(*) FROM {}", table.name);
                Ok(sqlx::query_scalar(&sql).fetch_one(connection).await?)
            }

            fn cell(
                row: &<$db as sqlx::Database>::Row,
                index: usize,
                kind: Kind,
            ) -> Result<Cell, sqlx::Error> {
                Ok(match kind {
                    Kind::Int => row
                        .try_get::<Option<i64>, _>(index)?
                        .map_or(Cell::Null, Cell::Int),
                    Kind::Text => row
                        .try_get::<Option<String>, _>(index)?
                        .map_or(Cell::Null, Cell::Text),
                    Kind::Bool => row
                        .try_get::<Option<bool>, _>(index)?
                        .map_or(Cell::Null, Cell::Bool),
                })
            }

            impl Snapshot for EngineSnapshot {
                async fn count(&mut self, table: &Table) -> StoreResult<i64> {
                    count(&mut self.0, table).await
                }

                async fn next_id(&mut self, table: &Table) -> StoreResult<i64> {
                    let sql = <$store as SqlEngine>::NEXT_ID.replace("{table}", table.name);
                    Ok(sqlx::query_scalar(&sql).fetch_one(&mut *self.0).await?)
                }

                async fn read(
                    &mut self,
                    table: &Table,
                    offset: i64,
                    limit: i64,
                ) -> StoreResult<Vec<Vec<Cell>>> {
                    let sql = format!(
                        "SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
                        table.column_list(),
                        table.name,
                        table.order_by
                    );
                    let rows = sqlx::query(&sql)
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&mut *self.0)
                        .await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let cells = table
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(i, (_, kind))| cell(row, i, *kind))
                            .collect::<Result<Vec<_>, _>>()?;
                        out.push(cells);
                    }
                    Ok(out)
                }
            }

            impl Loader for EngineLoader {
                async fn count(&mut self, table: &Table) -> StoreResult<i64> {
                    count(&mut self.0, table).await
                }

                async fn insert(&mut self, table: &Table, rows: &[Vec<Cell>]) -> StoreResult<()> {
                    if rows.is_empty() {
                        return Ok(());
                    }
                    let width = table.columns.len();
                    let values: Vec<String> = (0..rows.len())
                        .map(|r| $crate::store::sql::placeholders(r * width + 1, width))
                        .collect();
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES {}",
                        table.name,
                        table.column_list(),
                        values.join(", ")
                    );
                    let mut query = sqlx::query(&sql);
                    for row in rows {
                        for (value, (_, kind)) in row.iter().zip(table.columns) {
                            query = match (value, kind) {
                                (Cell::Int(n), _) => query.bind(*n),
                                (Cell::Text(s), _) => query.bind(s.clone()),
                                (Cell::Bool(b), _) => query.bind(*b),
                                (Cell::Null, Kind::Int) => query.bind(None::<i64>),
                                (Cell::Null, Kind::Text) => query.bind(None::<String>),
                                (Cell::Null, Kind::Bool) => query.bind(None::<bool>),
                            };
                        }
                    }
                    query.execute(&mut *self.0).await?;
                    Ok(())
                }

                async fn set_next_id(&mut self, table: &Table, next: i64) -> StoreResult<()> {
                    for template in <$store as SqlEngine>::SET_NEXT_ID {
                        let sql = template.replace("{table}", table.name);
                        sqlx::query(&sql).bind(next).execute(&mut *self.0).await?;
                    }
                    Ok(())
                }

                async fn commit(mut self) -> StoreResult<()> {
                    sqlx::query(<$store as SqlEngine>::RESUME_AUDIT)
                        .execute(&mut *self.0)
                        .await?;
                    self.0.commit().await?;
                    Ok(())
                }
            }

            impl Transfer for $store {
                type Snapshot = EngineSnapshot;
                type Loader = EngineLoader;

                async fn snapshot(&self) -> StoreResult<EngineSnapshot> {
                    let mut tx = self.reader().begin().await?;
                    if let Some(sql) = <$store as SqlEngine>::SNAPSHOT {
                        sqlx::query(sql).execute(&mut *tx).await?;
                    }
                    Ok(EngineSnapshot(tx))
                }

                async fn loader(&self) -> StoreResult<EngineLoader> {
                    let mut tx = self.writer().begin().await?;
                    sqlx::query(<$store as SqlEngine>::PAUSE_AUDIT)
                        .execute(&mut *tx)
                        .await?;
                    Ok(EngineLoader(tx))
                }
            }
        }
    };
}

pub(crate) use transfer_impl;
