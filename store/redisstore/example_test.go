package redisstore_test

import (
	"context"
	"encoding/gob"
	"log"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	session "github.com/sessionkit/session"
	"github.com/sessionkit/session/store/redisstore"
)

// Cart is a value of the application's own type kept in sessions; gob must
// know it, in every instance, before a session holds one.
type Cart struct {
	Items []string
}

// Keep sessions in Redis so that every instance of the application shares
// them. The store does not own the client: close it after the manager.
func ExampleNew() {
	gob.Register(Cart{})

	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	m := session.NewManager(session.Options{
		Store: redisstore.New(client, redisstore.WithPrefix("shop")),
	}, nil, nil)
	defer m.Close()

	r := gin.New()
	r.Use(session.UseManager(m, nil))
	_ = r // r.Run(":8080")
}

// Open checks, before the application starts serving, that the sessions
// already in Redis were written with this store's layout: on a Cluster of
// more than 16 masters, say, with more shards than the default. Every
// instance must give the same number.
func ExampleOpen() {
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}})
	defer client.Close()

	st, err := redisstore.Open(context.Background(), client, redisstore.WithShards(128))
	if err != nil {
		log.Fatal(err) // wraps redisstore.ErrLayout, saying what it found, or store.ErrUnavailable
	}
	m := session.NewManager(session.Options{Store: st}, nil, nil)
	defer m.Close()
}

// When others can write to your Redis, sign the values: a value changed,
// moved or written without the key is refused before it is decoded. The
// first key signs; listing the previous key too keeps old values readable
// while keys rotate.
func ExampleWithSigningKeys() {
	current := []byte(os.Getenv("SESSION_SIGNING_KEY"))    // 32 random bytes or more
	previous := []byte(os.Getenv("SESSION_SIGNING_KEY_0")) // the key before it
	client := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"127.0.0.1:6379"}})
	defer client.Close()

	st := redisstore.New(client, redisstore.WithSigningKeys(current, previous))
	_ = st // session.Options{Store: st}
}
