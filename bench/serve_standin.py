"""A stand-in for MLflow's Python scoring server, for bench/serve --standin. MLflow and BentoML
are not packaged by Debian, so this serves an XGBoost model (python3-xgboost) the way MLflow's
pyfunc scoring server does — JSON body {"columns": [...], "data": [[...]]} (MLflow's
"dataframe_split") parsed into a pandas DataFrame, predicted, answered as {"predictions": [...]} —
on the two web stacks MLflow has used: Flask under gunicorn (`mlflow models serve` up to 2.20)
and FastAPI under uvicorn (since 2.21). It is NOT MLflow: no model signature checks, no pyfunc
wrapper, no MLflow middleware, so it is, if anything, faster than the real server.

  gunicorn -w 2 'serve_standin:flask_app()'             (TESSERA_STANDIN_MODEL=model.json)
  uvicorn --workers 2 --factory serve_standin:fastapi_app
"""

import json
import os

import pandas as pd
import xgboost as xgb


def _load():
    booster = xgb.Booster()
    booster.load_model(os.environ["TESSERA_STANDIN_MODEL"])
    booster.set_param({"nthread": 1})
    return booster


def _predict(booster, body):
    doc = json.loads(body)
    frame = pd.DataFrame(doc["data"], columns=doc["columns"], dtype="float32")
    scores = booster.inplace_predict(frame)
    return json.dumps({"predictions": [float(s) for s in scores]})


def flask_app():
    from flask import Flask, Response, request

    app = Flask("standin")
    booster = _load()

    @app.post("/invocations")
    def invocations():
        return Response(_predict(booster, request.get_data()), mimetype="application/json")

    return app


def fastapi_app():
    from fastapi import FastAPI, Request, Response

    app = FastAPI()
    booster = _load()

    @app.post("/invocations")
    async def invocations(request: Request):
        return Response(_predict(booster, await request.body()), media_type="application/json")

    return app
