from clientbook import create_app

app = create_app()
